"""SAQ worker settings: run with `saq tasks.worker.settings`.

Every job the domain records in the outbox (domain.core.outbox.Job) maps to the function that
runs it; importing this module fails if one is missing or misnamed, so the worker cannot start
without a handler for a job that the web process may record.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

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
from tasks.outages import riding_out_outages
from tasks.outbox_jobs import in_batches
from tasks.outbox_relay import relay_job
from tasks.queue import (
    CONNECTION_ERRORS,
    DEQUEUE_TIMEOUT_SECONDS,
    SWEEP_SECONDS,
    JobFunction,
    WorkerContext,
    create_queue,
)
from tasks.timeline_jobs import TIMELINE_JOBS

logger = logging.getLogger(__name__)


async def touch_while_running(ctx: WorkerContext, stop: asyncio.Event) -> None:
    """Touch the running job every quarter of its heartbeat until `stop` is set: SAQ does not,
    and its sweep takes a job untouched for longer than its heartbeat as lost."""
    job = ctx["job"]
    while not stop.is_set():
        with suppress(TimeoutError):
            async with asyncio.timeout(job.heartbeat / 4):
                await stop.wait()
        if stop.is_set():
            return
        # Redis away: the job is touched again once it is back (if it is still running then).
        with suppress(*CONNECTION_ERRORS):
            await job.update()


def kept_alive(run: JobFunction) -> JobFunction:
    """`run`, touching its job while it runs if the job has a heartbeat. The touching stops
    before the function returns, so it never races SAQ's finishing of the job.

    It is stopped by an event, not only cancelled: a cancellation that lands inside the touch
    itself can come out of redis-py as a connection error, which the touching takes for an
    outage and survives, and the job then waited for it for good while it kept the job looking
    alive (seen after Redis restarts: jobs stuck until their 60 s timeout)."""

    @functools.wraps(run)
    async def run_kept_alive(ctx: WorkerContext, **kwargs: Any) -> Any:
        if not ctx["job"].heartbeat:
            return await run(ctx, **kwargs)
        stop = asyncio.Event()
        toucher = asyncio.create_task(touch_while_running(ctx, stop))
        try:
            return await run(ctx, **kwargs)
        finally:
            stop.set()
            toucher.cancel()
            # Waits for the toucher without taking its cancellation for this task's own.
            await asyncio.wait([toucher])

    return run_kept_alive


# How long the worker skips Redis after it failed (the web process: settings, 5 s).
WORKER_REDIS_RETRY_SECONDS = 1.0

OUTBOX_JOBS: Mapping[Job, JobFunction] = {
    job: kept_alive(riding_out_outages(in_batches(job, run)))
    for job, run in {**TIMELINE_JOBS, **NOTIFICATION_JOBS, **MEDIA_JOBS}.items()
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
    # It also looks again for Redis after an outage sooner than the web process does: a job
    # waits for the breaker (tasks.timeline_jobs), so the breaker's period is time the whole
    # backlog waits after Redis is back, and one call a second costs the worker nothing.
    redis_guard.use(
        GuardedRedis(
            ctx["redis"], 5.0, min(WORKER_REDIS_RETRY_SECONDS, settings.redis_retry_seconds)
        )
    )
    # The fault harness (bench/faults) counts the worker back from this line.
    logger.info("worker ready")


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
    # Lost jobs (past their heartbeat) are found within a second or two, not a minute.
    "timers": {"sweep": SWEEP_SECONDS},
    "dequeue_timeout": DEQUEUE_TIMEOUT_SECONDS,
    "startup": startup,
    "shutdown": shutdown,
    "before_process": before_process,
    "after_process": after_process,
}
