"""What happens after each attempt of a job: one log line, and for an outbox job that failed
its last attempt, the rows it had left moved to the dead letters (a job deletes the rows it
runs itself: tasks.outbox_jobs).

SAQ retries a failed job with the back-off of tasks.queue and logs each failure with its
traceback. A lost connection is expected during an outage and says nothing a traceback could
add, so those failures are logged as one line here, and SAQ's own lines about them (one per
failed attempt or upkeep poll) are cut down to one a minute by `QuietConnectionErrors`.
"""

from __future__ import annotations

import logging
import time

from saq.job import Job as SaqJob
from saq.job import Status

from domain.core import dead_letters, outbox
from domain.core.outbox import Job
from tasks.outbox_jobs import message_ids_of
from tasks.queue import CONNECTION_ERRORS, WorkerContext

logger = logging.getLogger(__name__)

OUTCOMES = {
    Status.COMPLETE: "complete",
    Status.QUEUED: "retrying",
    Status.FAILED: "failed",
    Status.ABORTED: "aborted",
}
OUTBOX_JOBS = frozenset(job.value for job in Job)


async def before_process(ctx: WorkerContext) -> None:
    """SAQ's `before_process` hook: note when the attempt started."""
    ctx["started_at"] = time.monotonic()


async def after_process(ctx: WorkerContext) -> None:
    """SAQ's `after_process` hook: settle an outbox job that is over, then log one INFO line:
    `job <name> <key> <outcome> in <ms> ms (attempt <n> of <m>)[: <error>]`."""
    job = ctx["job"]
    elapsed_ms = (time.monotonic() - ctx.get("started_at", time.monotonic())) * 1000
    outcome = OUTCOMES.get(job.status, job.status.value)
    if job.function in OUTBOX_JOBS:
        try:
            outcome = await _settle(job) or outcome
        except CONNECTION_ERRORS as lost:
            # PostgreSQL is away too: the row stays, and the relay settles the job once it is
            # back (tasks.outbox_relay), from what SAQ keeps of it.
            outcome = f"{outcome}, outbox row kept ({lost!r})"
    error = ctx.get("exception")
    logger.info(
        "job %s %s %s in %.0f ms (attempt %d of %d)%s",
        job.function,
        job.key,
        outcome,
        elapsed_ms,
        job.attempts,
        job.retries,
        f": {error!r}" if error is not None else "",
    )


async def _settle(job: SaqJob) -> str | None:
    """Dead-letter the rows a job failed for good had left, each under its own key with the
    job's last error; the outcome to log instead of SAQ's status, or None to log that."""
    if job.status not in (Status.FAILED, Status.ABORTED):
        return None
    recorded = 0
    for message in await outbox.messages(Job(job.function), message_ids_of(job)):
        recorded += await dead_letters.record(
            message.job,
            outbox.job_key(message.id),
            message.payload,
            job.error or "",
            job.attempts,
        )
    return "dead-lettered" if recorded else "failed, already dead-lettered"


class QuietConnectionErrors(logging.Filter):
    """A filter for SAQ's logger: a record about a lost connection passes as one line without
    its traceback, and only if no such record passed in the last `interval_seconds`; every
    other record passes unchanged. During an outage SAQ would otherwise log a traceback for
    every failed attempt and every upkeep poll (several a second)."""

    def __init__(self, interval_seconds: float = 60.0) -> None:
        super().__init__()
        self.interval_seconds = interval_seconds
        self.last_passed = -interval_seconds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, CONNECTION_ERRORS):
            return True
        now = time.monotonic()
        if now - self.last_passed < self.interval_seconds:
            return False
        self.last_passed = now
        record.msg = f"{record.getMessage()}: {error!r} (such errors: one line a minute)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
