"""Moves jobs from the Postgres outbox onto the SAQ queue.

The web process relays as soon as a write records a job; the worker relays every minute as
well, so jobs recorded while Redis was down go out once it is back.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from redis.exceptions import RedisError
from saq import Queue

from domain.core import outbox
from tasks.queue import WorkerContext

logger = logging.getLogger(__name__)
JOB_TIMEOUT_SECONDS = 60


async def relay_outbox(queue: Queue) -> int:
    """Enqueue every recorded job (keyed by its outbox id, so a re-relay is not a re-run)."""

    async def send(message_id: int, job: str, payload: dict[str, Any]) -> None:
        await queue.enqueue(
            job, key=f"outbox-{message_id}", retries=5, timeout=JOB_TIMEOUT_SECONDS, **payload
        )

    return await outbox.relay(send)


async def relay_when_recorded(queue: Queue, stop: asyncio.Event, sweep_seconds: float) -> None:
    """Runs for the life of the web process: relay right after writes, and sweep now and then.

    It is stopped with `stop`, never cancelled: a cancellation landing inside the relay's
    transaction could leave its connection checked out and hang the pool's shutdown.
    """
    while not stop.is_set():
        # asyncio.timeout rather than wait_for: Python 3.11's wait_for can lose a cancellation.
        with suppress(TimeoutError):
            async with asyncio.timeout(sweep_seconds):
                await outbox.pending_work.wait()
        outbox.pending_work.clear()
        try:
            await relay_outbox(queue)
        except (RedisError, OSError) as error:
            # Redis is down: the rows stay in Postgres until a later sweep gets them out.
            logger.warning("outbox relay failed, will retry: %r", error)
        except Exception:
            logger.exception("outbox relay failed, will retry")


async def relay_job(ctx: WorkerContext) -> int:
    """The worker's periodic relay."""
    return await relay_outbox(ctx["worker"].queue)
