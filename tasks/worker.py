"""SAQ worker settings: run with `saq tasks.worker.settings`."""

from __future__ import annotations

from typing import Any

from saq import CronJob

from domain import database, redis_guard
from domain.redis_guard import GuardedRedis
from domain.settings import get_settings
from tasks.cache_warming import warm_cache
from tasks.housekeeping import (
    remove_expired_grants,
    remove_expired_sessions,
    remove_unused_uploads,
)
from tasks.media_jobs import MEDIA_JOBS
from tasks.notification_jobs import NOTIFICATION_JOBS
from tasks.outbox_relay import relay_job
from tasks.queue import create_queue
from tasks.timeline_jobs import TIMELINE_JOBS
from web.redis import create_redis


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    await database.open_pool(min_size=0, max_size=5)
    ctx["redis"] = create_redis(settings)
    # Jobs get more time than page requests: a batch of fan-out may touch thousands of keys.
    redis_guard.use(GuardedRedis(ctx["redis"], 5.0, settings.redis_retry_seconds))


async def shutdown(ctx: dict[str, Any]) -> None:
    redis_guard.use(None)
    await ctx["redis"].aclose()
    await database.close_pool()


settings = {
    "queue": create_queue(get_settings()),
    "functions": [
        remove_expired_sessions,
        remove_expired_grants,
        remove_unused_uploads,
        relay_job,
        warm_cache,
        *TIMELINE_JOBS,
        *MEDIA_JOBS,
        *NOTIFICATION_JOBS,
    ],
    "cron_jobs": [
        CronJob(remove_expired_sessions, cron="17 * * * *"),
        CronJob(remove_expired_grants, cron="23 * * * *"),
        CronJob(remove_unused_uploads, cron="41 * * * *"),
        # Sends jobs recorded while Redis was down (the web process relays the rest at once).
        CronJob(relay_job, cron="* * * * *"),
        CronJob(warm_cache, cron="*/5 * * * *"),
    ],
    "concurrency": 10,
    "startup": startup,
    "shutdown": shutdown,
}
