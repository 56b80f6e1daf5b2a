"""Jobs ride out a short outage instead of failing an attempt.

A job whose PostgreSQL or Redis connection is lost (tasks.queue.CONNECTION_ERRORS) is tried
again within the same attempt, every OUTAGE_POLL_SECONDS, for up to OUTAGE_WAIT_SECONDS: it
then runs within a poll of the server's return. Failing the attempt instead would hand the
job to SAQ's exponential back-off, whose waits grow with every attempt the outage costs (a
10 s PostgreSQL restart left jobs waiting 8 s more after it was back). A longer outage still
fails the attempt, and the back-off takes over. Jobs are idempotent, so running one again
after a lost connection is safe.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from typing import Any

from tasks.queue import CONNECTION_ERRORS, JOB_TIMEOUT_SECONDS, JobFunction, WorkerContext

# Well inside a job's timeout, so the attempt that waited still has time to do its work.
OUTAGE_WAIT_SECONDS = JOB_TIMEOUT_SECONDS / 3
OUTAGE_POLL_SECONDS = 0.5


def riding_out_outages(run: JobFunction) -> JobFunction:
    """`run`, tried again on a lost connection every OUTAGE_POLL_SECONDS (with a little
    jitter, so the waiting jobs do not return in step) for up to OUTAGE_WAIT_SECONDS; the
    last lost connection is raised after that. Any other error is raised at once."""

    @functools.wraps(run)
    async def run_riding_out(ctx: WorkerContext, **kwargs: Any) -> Any:
        give_up_at = time.monotonic() + OUTAGE_WAIT_SECONDS
        while True:
            try:
                return await run(ctx, **kwargs)
            except CONNECTION_ERRORS:
                if time.monotonic() >= give_up_at:
                    raise
            await asyncio.sleep(OUTAGE_POLL_SECONDS * random.uniform(0.8, 1.2))

    return run_riding_out
