"""The transactional outbox: jobs written with the change that needs them, relayed to SAQ later.

`record` must be called inside the transaction of the change (opened with `transaction()`),
so the job exists exactly when the change does. A process-wide event tells the relay, once
the transaction has committed, that there is something to send.

Jobs are named by `Job`, never by strings: the worker (tasks/worker.py) maps every member to
the function that runs it and refuses to start if one is missing, so a job can be recorded
only if a worker runs it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from piccolo.columns import JSONB, BigSerial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from domain.core.sql import fetch, sql


class OutboxMessage(Table, tablename="outbox"):
    """A background job recorded in the same transaction as the change that needs it, so it
    cannot be lost when Redis (and with it the job queue) is down; relayed to SAQ later."""

    id = BigSerial(primary_key=True)
    job = Varchar(length=64, null=False)
    payload = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class Job(StrEnum):
    """Every job the domain records; the value is the SAQ function's name."""

    FAN_OUT_POST = "fan_out_post"  # post_id: into followers' home timelines
    RETRACT_POST = "retract_post"  # post_id, author_id: out of home timelines
    REFRESH_TIMELINE = "refresh_timeline"  # user_id, changed_ms: after a follow change
    NOTIFY = "notify"  # kind and its ids (domain.notifications.deliver)
    MAKE_THUMBNAILS = "make_thumbnails"  # url, kinds: of a stored image


pending_work = asyncio.Event()

Send = Callable[[int, str, dict[str, Any]], Awaitable[None]]


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A database transaction that may `record` jobs; the relay is woken once it commits
    (waking it earlier would have it look before the rows are visible)."""
    async with OutboxMessage._meta.db.transaction():
        yield
    pending_work.set()


async def record(job: Job, **payload: Any) -> None:
    """Queue `job(**payload)` for the worker; call inside `transaction()`, with the change."""
    await OutboxMessage.insert(OutboxMessage(job=job.value, payload=payload))


async def relay(send: Send, batch_size: int = 100) -> int:
    """Hand recorded jobs to `send(message id, job, payload)`, deleting each sent one.

    Rows are locked while sent (SKIP LOCKED lets several relays share the work); if `send`
    raises, the transaction rolls back and the remaining rows stay for the next relay.
    """
    sent = 0
    while True:
        async with OutboxMessage._meta.db.transaction():
            rows = await fetch(
                sql(
                    "SELECT id, job, payload FROM outbox ORDER BY id LIMIT {batch}"
                    " FOR UPDATE SKIP LOCKED",
                    batch=batch_size,
                )
            )
            for row in rows:
                await send(row["id"], row["job"], json.loads(row["payload"]))
            if rows:
                await OutboxMessage.delete().where(OutboxMessage.id.is_in([r["id"] for r in rows]))
        sent += len(rows)
        if len(rows) < batch_size:
            return sent


async def backlog() -> int:
    """How many recorded jobs wait to be relayed."""
    count: int = await OutboxMessage.count()
    return count
