"""SAQ worker settings: run with `saq tasks.worker.settings`."""

from __future__ import annotations

from typing import Any

from saq import CronJob

from domain.settings import get_settings
from tasks.housekeeping import remove_expired_sessions
from tasks.queue import create_queue


async def startup(ctx: dict[str, Any]) -> None:
    from piccolo_conf import DB

    await DB.start_connection_pool(min_size=0, max_size=5)
    ctx["db"] = DB


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["db"].close_connection_pool()


settings = {
    "queue": create_queue(get_settings()),
    "functions": [remove_expired_sessions],
    "cron_jobs": [CronJob(remove_expired_sessions, cron="17 * * * *")],
    "concurrency": 10,
    "startup": startup,
    "shutdown": shutdown,
}
