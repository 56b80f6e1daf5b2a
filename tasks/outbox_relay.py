"""Moves jobs from the Postgres outbox onto the SAQ queue.

The web process relays as soon as a write records a job; the worker relays every minute as
well, so jobs recorded while Redis was down go out once it is back.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from contextlib import suppress
from typing import Any

from saq import Queue

from domain.core import outbox
from tasks.queue import (
    CONNECTION_ERRORS,
    JOB_ATTEMPTS,
    JOB_HEARTBEAT_SECONDS,
    JOB_TIMEOUT_SECONDS,
    RETRY_BASE_SECONDS,
    RETRY_CAP_SECONDS,
    WorkerContext,
)

logger = logging.getLogger(__name__)


async def relay_outbox(queue: Queue) -> int:
    """Enqueue every recorded job with the retry policy (tasks.queue); returns how many.

    Each is keyed by its outbox id, so relaying a row twice (a relay that failed before
    deleting it) does not run the job twice.
    """

    async def send(message_id: int, job: str, payload: dict[str, Any]) -> None:
        await queue.enqueue(
            job,
            key=f"outbox-{message_id}",
            timeout=JOB_TIMEOUT_SECONDS,
            heartbeat=JOB_HEARTBEAT_SECONDS,
            retries=JOB_ATTEMPTS,
            retry_delay=RETRY_BASE_SECONDS,
            retry_backoff=RETRY_CAP_SECONDS,
            **payload,
        )

    return await outbox.relay(send)


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
    """Runs for the life of the web process: relay right after writes, and sweep now and then.

    While PostgreSQL or Redis is unreachable it tries again every `retry_seconds` and logs
    the outage once (OutageLog). It is stopped with `stop`, never cancelled: a cancellation
    landing inside the relay's transaction could leave its connection checked out and hang the
    pool's shutdown.
    """
    outage = OutageLog("outbox relay")
    while not stop.is_set():
        wait = sweep_seconds if outage.down_since is None else retry_seconds
        # asyncio.timeout rather than wait_for: Python 3.11's wait_for can lose a cancellation.
        with suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await outbox.pending_work.wait()
        outbox.pending_work.clear()
        # Each run gets a context of its own: when a connection dies inside a transaction,
        # Piccolo's rollback fails before it resets its `current_transaction` variable, and a
        # context shared by every run would keep that dead transaction for all the later ones.
        run = asyncio.create_task(relay_outbox(queue), context=contextvars.Context())
        try:
            await run
        except CONNECTION_ERRORS as error:
            # The rows stay in Postgres; a later run sends them.
            outage.failed(error)
        except Exception:
            logger.exception("outbox relay failed, will retry")
        else:
            outage.succeeded()


async def relay_job(ctx: WorkerContext) -> int:
    """The worker's periodic relay."""
    return await relay_outbox(ctx["worker"].queue)
