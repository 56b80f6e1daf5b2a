"""The one SAQ queue that the web process enqueues to and the worker consumes, and the retry
policy every outbox job gets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asyncpg.exceptions import InterfaceError, OperatorInterventionError, PostgresConnectionError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from saq.queue.redis import RedisQueue
from saq.types import Context

from domain.core.settings import Settings

QUEUE_NAME = "agora"

# A job gets this many attempts in all before it is dead-lettered (domain.core.dead_letters).
JOB_ATTEMPTS = 12
# SAQ's exponential back-off with full jitter: the wait before attempt n+1 is drawn at random
# from [0, min(cap, base * 2**(n-1))] seconds, so jobs failed by the same outage spread out
# instead of returning in a herd. With these values the retries span about nine minutes on
# average (at most about eighteen), past a restart of Redis or PostgreSQL.
RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 300.0
JOB_TIMEOUT_SECONDS = 60

# What a lost or refused connection raises, from PostgreSQL (asyncpg: refused, dropped, shut
# down by an administrator, or a connection the pool already took back), from Redis, or as a
# plain socket error (OSError) while connecting to either. Such failures are expected during
# an outage, so they are logged in one line without a traceback (tasks.job_outcomes, the
# relay); a job failing with one is retried like any other.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    PostgresConnectionError,
    OperatorInterventionError,
    InterfaceError,
    RedisError,
    OSError,
)


def create_queue(settings: Settings) -> RedisQueue:
    # Built from a client rather than Queue.from_url, which rejects unix:// socket URLs
    # (the bundled Redis of the embedded default listens on a socket).
    return RedisQueue(Redis.from_url(settings.redis_url), name=QUEUE_NAME)


class WorkerContext(Context, total=False):
    """What SAQ hands every job: its own fields, the worker's Redis client, and when the
    current attempt started (time.monotonic(), for the job's log line)."""

    redis: Redis
    started_at: float


# A job's function: SAQ calls it with the context and the job's keyword arguments.
JobFunction = Callable[..., Awaitable[Any]]
