"""Moves jobs from the Postgres outbox onto the SAQ queue, and settles those relayed before.

The web process relays as soon as a write records a job, and again whenever the lease of a
relayed row runs out; the worker relays every minute as well, so jobs recorded while Redis was
down go out once it is back. A row stays in the outbox until its job is done
(domain.core.outbox): handed over again after the lease, its job is looked up under its key
and queued again only if Redis no longer has it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Sequence
from contextlib import suppress

from saq import Queue
from saq.job import Status

from domain.core import dead_letters, outbox
from domain.core.outbox import Message, QueuedAs
from tasks.queue import (
    CONNECTION_ERRORS,
    JOB_ATTEMPTS,
    JOB_HEARTBEAT_SECONDS,
    JOB_TIMEOUT_SECONDS,
    MESSAGES_PER_JOB,
    RELAY_LEASE_SECONDS,
    RETRY_BASE_SECONDS,
    RETRY_CAP_SECONDS,
    WorkerContext,
)

logger = logging.getLogger(__name__)

MIN_WAIT_SECONDS = 0.05
# The web process relays at most once in this long (the worker's job for a row or two costs
# it about as much CPU as one for twenty): what it adds to a job's wait, and only under load.
RELAY_INTERVAL_SECONDS = 0.05
# While at least this many jobs wait in the queue, the worker is behind (stopped, or slower
# than the writes): the rows would wait anyway, so the relay runs only once in
# RELAY_INTERVAL_BEHIND_SECONDS, in fuller jobs, and the worker catches up sooner.
QUEUE_BEHIND_JOBS = 100
RELAY_INTERVAL_BEHIND_SECONDS = 0.5

# Ends a job can come to that it will not leave on its own: ABORTED is how SAQ's sweep ends a
# lost job that has no attempts left.
FAILED_FOR_GOOD = frozenset({Status.FAILED, Status.ABORTED})


async def _enqueue(queue: Queue, job: str, message_ids: list[int]) -> str:
    """Queue one job of kind `job` for these outbox rows with the retry policy (tasks.queue);
    returns its key. Under its key SAQ queues nothing while a job of that key is queued,
    running or waiting for a retry."""
    key = outbox.batch_key(message_ids)
    await queue.enqueue(
        job,
        key=key,
        timeout=JOB_TIMEOUT_SECONDS,
        heartbeat=JOB_HEARTBEAT_SECONDS,
        retries=JOB_ATTEMPTS,
        retry_delay=RETRY_BASE_SECONDS,
        retry_backoff=RETRY_CAP_SECONDS,
        message_ids=message_ids,
    )
    return key


def _batches(messages: Sequence[Message]) -> list[tuple[str, list[int]]]:
    """The messages grouped by kind, oldest first, in runs of at most MESSAGES_PER_JOB."""
    by_kind: dict[str, list[int]] = {}
    for message in messages:
        by_kind.setdefault(message.job, []).append(message.id)
    return [
        (kind, ids[start : start + MESSAGES_PER_JOB])
        for kind, ids in by_kind.items()
        for start in range(0, len(ids), MESSAGES_PER_JOB)
    ]


async def send_messages(queue: Queue, messages: Sequence[Message]) -> list[QueuedAs]:
    """What `outbox.relay` hands its rows to: queue the new ones, in jobs of one kind that
    take up to MESSAGES_PER_JOB rows each; for each relayed before, look up the job it was
    queued in and act on what SAQ knows of it:

    - not known (Redis lost it, or its record of a finished job expired): queued again;
    - complete: done (the job deletes the rows it ran; one left is a row it could not delete);
    - failed for good: dead-lettered here (the worker could not, PostgreSQL being away), done;
    - anything else (queued, running, waiting for a retry): left alone.

    Returns, for each message in order, the key of the job holding it, or None when done.
    """
    keys = sorted({message.queued_as for message in messages if message.queued_as})
    known = dict(zip(keys, await queue.jobs(keys) if keys else [], strict=True))
    held: dict[int, QueuedAs] = {}
    waiting: list[Message] = []
    lost: list[str] = []
    for message in messages:
        job = known.get(message.queued_as) if message.queued_as else None
        if job is None:
            if message.queued_as:
                lost.append(message.queued_as)
            waiting.append(message)
        elif job.status == Status.COMPLETE:
            held[message.id] = None
        elif job.status in FAILED_FOR_GOOD:
            await dead_letters.record(
                message.job,
                outbox.job_key(message.id),
                message.payload,
                job.error or "",
                job.attempts,
            )
            logger.info("job %s %s dead-lettered by the relay", message.job, message.queued_as)
            held[message.id] = None
        else:
            held[message.id] = message.queued_as
    batches = _batches(waiting)
    # Queued together, not one round trip after another: after an outage a backlog of
    # thousands is relayed in batches of 100, and the worker can take only what is queued.
    queued = await asyncio.gather(*(_enqueue(queue, kind, ids) for kind, ids in batches))
    for key, (_, ids) in zip(queued, batches, strict=True):
        held.update(dict.fromkeys(ids, key))
    if lost:
        logger.info(
            "queued again %d relayed rows whose job Redis no longer had (%s first)",
            len(lost),
            lost[0],
        )
    return [held[message.id] for message in messages]


async def relay_outbox(queue: Queue) -> int:
    """Relay the outbox to `queue` (send_messages); returns how many rows were handed over."""
    return await outbox.relay(lambda messages: send_messages(queue, messages), RELAY_LEASE_SECONDS)


class OutageLog:
    """Logs an outage of a long-lived task's backends once: a warning when the first attempt
    fails, an info line when one succeeds again; the attempts in between log nothing."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.down_since: float | None = None

    def failed(self, error: BaseException) -> None:
        """An attempt failed because a connection was lost or refused."""
        if self.down_since is None:
            self.down_since = asyncio.get_running_loop().time()
            logger.warning("%s failed, retrying until it works again: %r", self.what, error)

    def succeeded(self) -> None:
        """An attempt worked."""
        if self.down_since is not None:
            seconds = asyncio.get_running_loop().time() - self.down_since
            self.down_since = None
            logger.info("%s works again after %.1fs", self.what, seconds)


async def relay_when_recorded(
    queue: Queue, stop: asyncio.Event, sweep_seconds: float, retry_seconds: float = 1.0
) -> None:
    """Runs for the life of the web process: relay right after writes (at most once in
    RELAY_INTERVAL_SECONDS, or in RELAY_INTERVAL_BEHIND_SECONDS while the worker is behind),
    when the lease of a relayed row runs out, and every `sweep_seconds` in any case.

    While PostgreSQL or Redis is unreachable it tries again every `retry_seconds` and logs
    the outage once (OutageLog). It is stopped with `stop`, never cancelled: a cancellation
    landing inside the relay's transaction could leave its connection checked out and hang the
    pool's shutdown.
    """
    outage = OutageLog("outbox relay")
    due: float | None = None
    loop = asyncio.get_running_loop()
    last_run = -RELAY_INTERVAL_BEHIND_SECONDS
    interval = RELAY_INTERVAL_SECONDS
    while not stop.is_set():
        if outage.down_since is not None:
            wait = retry_seconds
        else:
            # Not less than a moment: a due row that another relay holds locked is its to send.
            wait = sweep_seconds if due is None else min(sweep_seconds, max(due, MIN_WAIT_SECONDS))
        # asyncio.timeout rather than wait_for: Python 3.11's wait_for can lose a cancellation.
        with suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await outbox.pending_work.wait()
        # A write after a quiet spell is relayed at once; under a stream of writes the relay
        # runs once an interval, so that each run queues several rows, in fewer jobs.
        await asyncio.sleep(max(0.0, last_run + interval - loop.time()))
        last_run = loop.time()
        outbox.pending_work.clear()
        # Each run gets a context of its own: when a connection dies inside a transaction,
        # Piccolo's rollback fails before it resets its `current_transaction` variable, and a
        # context shared by every run would keep that dead transaction for all the later ones.
        run = asyncio.create_task(_relay_once(queue), context=contextvars.Context())
        try:
            due, interval = await run
        except CONNECTION_ERRORS as error:
            # The rows stay in Postgres; a later run sends them.
            outage.failed(error)
        except Exception:
            logger.exception("outbox relay failed, will retry")
        else:
            outage.succeeded()


async def _relay_once(queue: Queue) -> tuple[float | None, float]:
    """Relay the outbox; then the seconds until the next relayed row's lease runs out (None
    when no row waits for one), and the least time until the next relay."""
    await relay_outbox(queue)
    behind = await queue.count("queued") >= QUEUE_BEHIND_JOBS
    interval = RELAY_INTERVAL_BEHIND_SECONDS if behind else RELAY_INTERVAL_SECONDS
    return await outbox.seconds_until_due(RELAY_LEASE_SECONDS), interval


async def relay_job(ctx: WorkerContext) -> int:
    """The worker's periodic relay."""
    return await relay_outbox(ctx["worker"].queue)
