"""Jobs that keep home timelines in Redis in step with Postgres. Each is idempotent, so a
retry or a duplicate relay does no harm; each raises when Redis is down, so SAQ retries it."""

from __future__ import annotations

from domain import timelines
from domain.core import redis_guard
from domain.core.outbox import Job
from tasks.queue import JobFunction, WorkerContext


class RedisUnavailable(ConnectionError):
    """Raised so SAQ retries the job later rather than counting it done; a ConnectionError,
    so it is logged as the transient failure it is (tasks.job_outcomes)."""


async def _guard() -> redis_guard.GuardedRedis:
    """The worker's Redis once its circuit breaker lets calls through: a job started while
    Redis is being skipped waits (a few seconds at most) rather than failing an attempt."""
    guard = redis_guard.active()
    if guard is None:
        raise RedisUnavailable("the worker has no Redis configured")
    await guard.wait_until_closed()
    return guard


async def fan_out_post(ctx: WorkerContext, *, post_id: int) -> int:
    """Put a new post into its readers' timelines; returns how many timelines took it."""
    pushed = await timelines.fan_out(await _guard(), post_id)
    if pushed is None:
        raise RedisUnavailable("could not reach Redis to fan out")
    return pushed


async def retract_post(ctx: WorkerContext, *, post_id: int, author_id: int) -> None:
    if not await timelines.retract(await _guard(), post_id, author_id):
        raise RedisUnavailable("could not reach Redis to retract a post")


async def refresh_timeline(ctx: WorkerContext, *, user_id: int, changed_ms: int) -> None:
    """After a follow or unfollow: drop the timeline unless it was rebuilt since the change
    (the web process normally dropped it already); the next visit rebuilds it."""
    if not await timelines.forget(await _guard(), user_id, changed_ms):
        raise RedisUnavailable("could not reach Redis to refresh a timeline")


TIMELINE_JOBS: dict[Job, JobFunction] = {
    Job.FAN_OUT_POST: fan_out_post,
    Job.RETRACT_POST: retract_post,
    Job.REFRESH_TIMELINE: refresh_timeline,
}
