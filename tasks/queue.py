"""The one SAQ queue that the web process enqueues to and the worker consumes, and the retry
policy every outbox job gets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asyncpg.exceptions import (
    InterfaceError,
    InternalClientError,
    OperatorInterventionError,
    PostgresConnectionError,
)
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
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
# The relay queues outbox rows of one kind together, up to this many in one job
# (tasks.outbox_jobs): the queue's own work for a job (about a dozen Redis commands, three of
# them PUBLISHes) costs the worker more CPU than most rows' work, and after an outage the
# backlog waits on the worker's CPU. Under light load a job takes the row or two a write
# records; a backlog goes in full batches.
MESSAGES_PER_JOB = 20
# A running job is touched every HEARTBEAT / 4 s (tasks.worker.kept_alive); one not touched
# for this long is taken as lost (its worker was killed, or Redis came back from a snapshot
# taken while it ran) and SAQ's sweep runs it again, instead of waiting for the 60 s timeout.
# Jobs are idempotent, so a run twice by a late touch is harmless.
JOB_HEARTBEAT_SECONDS = 3
# The outbox row's lease: the relay hands a row over again once it was relayed this long ago
# and its job is not yet known to be done (domain.core.outbox). Handing it over again first
# asks SAQ for the job under its key (tasks.outbox_relay): one still queued, running or
# waiting for a retry is left alone, whatever its age, so the lease need not outlast a job's
# 60 s timeout per attempt, nor its retries' minutes of back-off (up to about eighteen), as
# a lease after which a job is taken for lost would have to. What it does bound is how long
# after its relaying a job that Redis lost (restarted empty, or from an older snapshot) waits
# to be queued again: at most one lease, or none at all if Redis was away longer. The same
# 3 s after which SAQ's sweep takes a running job whose worker went silent as lost; under
# load the relay then reads the records of the jobs outstanding in batches of 100 (one MGET
# each) every 3 s.
RELAY_LEASE_SECONDS = float(JOB_HEARTBEAT_SECONDS)
# How often the worker's sweep looks for such jobs (SAQ passes it as the sweep's lock too).
SWEEP_SECONDS = 1
# How long the sweep waits for a lost job to acknowledge its abort before re-queueing it.
# SAQ's default, 5 s per job in turn, is spent in full on a job nobody runs any more.
SWEEP_ABORT_WAIT_SECONDS = 0.1
# The worker's BLMOVE blocks this long at most, then polls again, so that it is never left
# blocked on a connection to a Redis that has gone away.
DEQUEUE_TIMEOUT_SECONDS = 1.0
# The queue's client: a blocking dequeue must fit within the socket timeout.
QUEUE_SOCKET_TIMEOUT_SECONDS = DEQUEUE_TIMEOUT_SECONDS + 4.0
QUEUE_CONNECT_TIMEOUT_SECONDS = 1.0

# What a lost or refused connection raises, from PostgreSQL (asyncpg: refused, dropped, shut
# down by an administrator, a connection the pool already took back, or one whose protocol
# state the server's going away mid-statement broke: "cannot switch to state 12; another
# operation (2) is in progress", seen while PostgreSQL shut down), from Redis, or as a plain
# socket error (OSError) while connecting to either. Such failures are expected during
# an outage, so they are logged in one line without a traceback (tasks.job_outcomes, the
# relay); a job failing with one is retried like any other.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    PostgresConnectionError,
    OperatorInterventionError,
    InterfaceError,
    InternalClientError,
    RedisError,
    OSError,
)


class AgoraQueue(RedisQueue):
    """SAQ's Redis queue whose sweep does not wait seconds on each lost job."""

    async def sweep(self, lock: int = 60, abort: float = SWEEP_ABORT_WAIT_SECONDS) -> list[str]:
        return await super().sweep(lock, abort=min(abort, SWEEP_ABORT_WAIT_SECONDS))


def create_queue(settings: Settings, name: str = QUEUE_NAME) -> RedisQueue:
    """The job queue `name` on the settings' Redis (tests pass names of their own)."""
    # Built from a client rather than Queue.from_url, which rejects unix:// socket URLs
    # (the bundled Redis of the embedded default listens on a socket).
    # redis-py's default retries a failed command 10 times with a back-off of up to 1 s each,
    # so every one of the worker's dequeues sat in seconds of back-off while Redis was down,
    # and went on sleeping after it was back. Here a command is retried twice, 0.2 s apart:
    # the worker's loop and the relay retry on their own anyway.
    return AgoraQueue(
        Redis.from_url(
            settings.redis_url,
            socket_timeout=QUEUE_SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=QUEUE_CONNECT_TIMEOUT_SECONDS,
            socket_keepalive=True,
            health_check_interval=5,
            retry=Retry(ConstantBackoff(0.2), 2),
        ),
        name=name,
    )


class WorkerContext(Context, total=False):
    """What SAQ hands every job: its own fields, the worker's Redis client, and when the
    current attempt started (time.monotonic(), for the job's log line)."""

    redis: Redis
    started_at: float


# A job's function: SAQ calls it with the context and the job's keyword arguments.
JobFunction = Callable[..., Awaitable[Any]]
