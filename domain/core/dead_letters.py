"""The dead-letter record: outbox jobs that failed every attempt the worker gave them.

A job that keeps failing after its retries (see tasks/queue.py for the back-off) would
otherwise vanish from SAQ with its error after a few minutes; here it stays (its outbox row
is deleted as it is recorded), visible on /metrics and /admin/jobs, until staff run it again.
Running it again moves it back into the outbox in one transaction, so it goes through the
same relay as any new job (jobs are idempotent, so a job that partly ran before does no harm
when run once more).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns import JSONB, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from domain.core import outbox
from domain.core.errors import NotFound
from domain.core.outbox import Job
from domain.core.sql import NOTHING, fetch, sql

PAGE_SIZE = 50
GONE = "That failed job is not in the list any more: it was already run again."


class DeadLetter(Table, tablename="dead_letter"):
    """An outbox job that failed its last attempt, kept so that it can be run again."""

    id = BigSerial(primary_key=True)
    job = Varchar(length=64, null=False)
    # Its outbox row's key (`outbox-<outbox id>`); the worker's log names the job it ran in by
    # the range of rows it held (`outbox-<first id>-<last id>-<digest>`), which takes in
    # this one.
    key = Varchar(length=255, null=False)
    payload = JSONB(default="{}")
    error = Text(null=False, default="")
    attempts = Integer(null=False, default=0)
    failed_at = Timestamptz(default=TimestamptzNow())


@dataclass(frozen=True)
class DeadLetterRow:
    """One dead letter as the admin page shows it; `error` is the last attempt's traceback."""

    id: int
    job: str
    key: str
    payload: dict[str, Any]
    error: str
    attempts: int
    failed_at: datetime

    @property
    def summary(self) -> str:
        """The error's last line (`ExceptionType: message`), or "" when none was kept."""
        lines = self.error.strip().splitlines()
        return lines[-1] if lines else ""


async def record(job: str, key: str, payload: dict[str, Any], error: str, attempts: int) -> bool:
    """Keep `job(**payload)`, which failed for good after `attempts` attempts with `error`;
    returns whether it was kept.

    A job of the outbox (`key` is `outbox-<id>`) leaves the outbox in the same transaction,
    and is kept only if its row was still there: the worker and the relay may both find the
    same failure (the relay does when the worker could not reach PostgreSQL), and only the
    first records it.
    """
    async with outbox.transaction():
        message_id = outbox.message_id_of(key)
        if message_id is not None and not await outbox.finish([message_id]):
            return False
        await DeadLetter.insert(
            DeadLetter(job=job, key=key, payload=payload, error=error, attempts=attempts)
        )
    return True


async def count() -> int:
    """How many failed jobs wait to be run again."""
    total: int = await DeadLetter.count()
    return total


async def page(before: int | None = None) -> list[DeadLetterRow]:
    """The newest PAGE_SIZE dead letters, or the ones older than the id `before`."""
    rows = await fetch(
        sql(
            "SELECT id, job, key, payload, error, attempts, failed_at FROM dead_letter"
            " WHERE TRUE {older} ORDER BY id DESC LIMIT {limit}",
            older=NOTHING if before is None else sql("AND id < {before}", before=before),
            limit=PAGE_SIZE,
        )
    )
    return [DeadLetterRow(**{**row, "payload": json.loads(row["payload"])}) for row in rows]


async def run_again(letter_id: int) -> Job:
    """Move the dead letter `letter_id` back into the outbox (one transaction); returns its job.

    Raises NotFound when there is no such dead letter (already run again, or never was), or
    when no worker runs its job any more (the row is then kept).
    """
    async with outbox.transaction():
        rows = await fetch(
            sql("DELETE FROM dead_letter WHERE id = {id} RETURNING job, payload", id=letter_id)
        )
        if not rows:
            raise NotFound(GONE)
        try:
            job = Job(rows[0]["job"])
        except ValueError:
            # Recorded by an older release that had a job this one has not: nothing can run it.
            raise NotFound(f"No worker runs {rows[0]['job']!r} any more.") from None
        await outbox.record(job, **json.loads(rows[0]["payload"]))
    return job
