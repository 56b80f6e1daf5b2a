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
from domain.core.outbox import Message, Relayed
from tasks.queue import (
    CONNECTION_ERRORS,
    JOB_ATTEMPTS,
    JOB_HEARTBEAT_SECONDS,
    JOB_TIMEOUT_SECONDS,
    RELAY_LEASE_SECONDS,
    RETRY_BASE_SECONDS,
    RETRY_CAP_SECONDS,
    WorkerContext,
)

logger = logging.getLogger(__name__)

MIN_WAIT_SECONDS = 0.05

# Ends a job can come to that it will not leave on its own: ABORTED is how SAQ's sweep ends a
# lost job that has no attempts left.
FAILED_FOR_GOOD = frozenset({Status.FAILED, Status.ABORTED})


async def _enqueue(queue: Queue, message: Message) -> None:
    """Queue the message's job with the retry policy (tasks.queue). Under its key, SAQ
    queues nothing while a job of that key is queued, running or waiting for a retry."""
    await queue.enqueue(
        message.job,
        key=message.key,
        timeout=JOB_TIMEOUT_SECONDS,
        heartbeat=JOB_HEARTBEAT_SECONDS,
        retries=JOB_ATTEMPTS,
        retry_delay=RETRY_BASE_SECONDS,
        retry_backoff=RETRY_CAP_SECONDS,
        **message.payload,
    )


async def send_messages(queue: Queue, messages: Sequence[Message]) -> list[Relayed]:
    """What `outbox.relay` hands its rows to: queue each new job; for each relayed before,
    look its job up under its key and act on what SAQ knows of it.

    - not known (Redis lost it, or its record of a finished job expired): queued again;
    - complete: done (the worker could not delete its row);
    - failed for good: dead-lettered here (the worker could not, PostgreSQL being away), done;
    - anything else (queued, running, waiting for a retry): left alone.
    """
    relayed = [message for message in messages if message.relayed]
    known = dict(
        zip(
            (message.key for message in relayed),
            await queue.jobs(message.key for message in relayed) if relayed else [],
            strict=True,
        )
    )
    # Queued together, not one round trip after another: after an outage a backlog of
    # thousands is relayed in batches of 100, and the worker can take only what is queued.
    await asyncio.gather(
        *(_enqueue(queue, message) for message in messages if known.get(message.key) is None)
    )
    outcomes: list[Relayed] = []
    lost: list[str] = []
    for message in messages:
        job = known.get(message.key)
        if job is None:
            if message.relayed:
                lost.append(message.key)
            outcomes.append(Relayed.QUEUED)
        elif job.status == Status.COMPLETE:
            outcomes.append(Relayed.DONE)
        elif job.status in FAILED_FOR_GOOD:
            await dead_letters.record(
                message.job, message.key, message.payload, job.error or "", job.attempts
            )
            logger.info("job %s %s dead-lettered by the relay", message.job, message.key)
            outcomes.append(Relayed.DONE)
        else:
            outcomes.append(Relayed.QUEUED)
    if lost:
        logger.info(
            "queued again %d relayed jobs that Redis no longer had (%s first)", len(lost), lost[0]
        )
    return outcomes


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
    """Runs for the life of the web process: relay right after writes, when the lease of a
    relayed row runs out, and every `sweep_seconds` in any case.

    While PostgreSQL or Redis is unreachable it tries again every `retry_seconds` and logs
    the outage once (OutageLog). It is stopped with `stop`, never cancelled: a cancellation
    landing inside the relay's transaction could leave its connection checked out and hang the
    pool's shutdown.
    """
    outage = OutageLog("outbox relay")
    due: float | None = None
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
        outbox.pending_work.clear()
        # Each run gets a context of its own: when a connection dies inside a transaction,
        # Piccolo's rollback fails before it resets its `current_transaction` variable, and a
        # context shared by every run would keep that dead transaction for all the later ones.
        run = asyncio.create_task(_relay_once(queue), context=contextvars.Context())
        try:
            due = await run
        except CONNECTION_ERRORS as error:
            # The rows stay in Postgres; a later run sends them.
            outage.failed(error)
        except Exception:
            logger.exception("outbox relay failed, will retry")
        else:
            outage.succeeded()


async def _relay_once(queue: Queue) -> float | None:
    """Relay the outbox; then the seconds until the next relayed row's lease runs out."""
    await relay_outbox(queue)
    return await outbox.seconds_until_due(RELAY_LEASE_SECONDS)


async def relay_job(ctx: WorkerContext) -> int:
    """The worker's periodic relay."""
    return await relay_outbox(ctx["worker"].queue)
