"""SAQ worker settings: run with `saq tasks.worker.settings`.

Every job the domain records in the outbox (domain.core.outbox.Job) maps to the function that
runs it; importing this module fails if one is missing or misnamed, so the worker cannot start
without a handler for a job that the web process may record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from saq import CronJob

from domain.core import database, redis_guard
from domain.core.outbox import Job
from domain.core.redis_guard import GuardedRedis, create_redis
from domain.core.settings import get_settings
from tasks.cache_warming import warm_cache
from tasks.housekeeping import (
    remove_expired_grants,
    remove_expired_sessions,
    remove_unused_uploads,
)
from tasks.job_outcomes import QuietConnectionErrors, after_process, before_process
from tasks.media_jobs import MEDIA_JOBS
from tasks.notification_jobs import NOTIFICATION_JOBS
from tasks.outbox_relay import relay_job
from tasks.queue import JobFunction, WorkerContext, create_queue
from tasks.timeline_jobs import TIMELINE_JOBS

OUTBOX_JOBS: Mapping[Job, JobFunction] = {
    **TIMELINE_JOBS,
    **NOTIFICATION_JOBS,
    **MEDIA_JOBS,
}


def check_outbox_jobs(handlers: Mapping[Job, JobFunction]) -> None:
    """Raise RuntimeError unless every Job has a handler whose name is the job's (SAQ finds
    a job's function by name)."""
    if missing := sorted(job.value for job in Job if job not in handlers):
        raise RuntimeError(f"outbox jobs without a worker function: {', '.join(missing)}")
    if misnamed := sorted(job.value for job, run in handlers.items() if run.__name__ != job.value):
        raise RuntimeError(f"outbox jobs whose function has another name: {', '.join(misnamed)}")


check_outbox_jobs(OUTBOX_JOBS)


async def startup(ctx: WorkerContext) -> None:
    settings = get_settings()
    # `saq` configures logging at WARNING unless run with -v; the worker's own lines (one per
    # job, one per outage) are INFO and should show without SAQ's per-job chatter.
    logging.getLogger("tasks").setLevel(logging.INFO)
    logging.getLogger("saq").addFilter(QuietConnectionErrors())
    await database.open_pool(min_size=0, max_size=5)
    ctx["redis"] = create_redis(settings)
    # Jobs get more time than page requests: a batch of fan-out may touch thousands of keys.
    redis_guard.use(GuardedRedis(ctx["redis"], 5.0, settings.redis_retry_seconds))


async def shutdown(ctx: WorkerContext) -> None:
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
        *OUTBOX_JOBS.values(),
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
    "before_process": before_process,
    "after_process": after_process,
}
