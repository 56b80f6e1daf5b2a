"""The transactional outbox: jobs written with the change that needs them, kept until done.

`record` must be called inside the transaction of the change (opened with `transaction()`),
so the job exists exactly when the change does. A process-wide event tells the relay, once
the transaction has committed, that there is something to send.

A row's life: written with the change; relayed (handed to the job queue in a job that may carry
other rows of its kind, `relayed_at` and `queued_as` set); deleted when its job has run it
(`finish`) or when it is dead-lettered (`domain.core.dead_letters`). A row relayed longer ago
than the relay's lease is handed over again, so that the relay can ask the queue about the job
it was queued in: one the queue lost (Redis restarted empty, or from an older snapshot) is
queued again, one that finished without its rows being deleted (PostgreSQL was away) is
settled then. The queue's job key, `batch_key(ids)`, keeps a job queued at most once.

Jobs are named by `Job`, never by strings: the worker (tasks/worker.py) maps every member to
the function that runs it and refuses to start if one is missing, so a job can be recorded
only if a worker runs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from asyncpg.pool import PoolConnectionProxy
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
    # When the relay last handed the job to SAQ; NULL until it first does. The row stays
    # until the job is done, and is looked at again once this is older than the lease.
    relayed_at = Timestamptz(null=True, default=None)
    # The key of the SAQ job it was last queued in (`batch_key`); NULL until relayed.
    queued_as = Varchar(length=255, null=True, default=None)


class Job(StrEnum):
    """Every job the domain records; the value is the SAQ function's name."""

    FAN_OUT_POST = "fan_out_post"  # post_id: into followers' home timelines
    RETRACT_POST = "retract_post"  # post_id, author_id: out of home timelines
    REFRESH_TIMELINE = "refresh_timeline"  # user_id, changed_ms: after a follow change
    NOTIFY = "notify"  # kind and its ids (domain.notifications.deliver)
    MAKE_THUMBNAILS = "make_thumbnails"  # url, kinds: of a stored image


pending_work = asyncio.Event()

KEY_PREFIX = "outbox-"


def job_key(message_id: int) -> str:
    """The key naming outbox row `message_id` alone: `outbox-<id>` (dead letters keep it)."""
    return f"{KEY_PREFIX}{message_id}"


def batch_key(message_ids: Sequence[int]) -> str:
    """The job queue's key for the job of these outbox rows (ascending ids, at least one):
    `outbox-<id>` for one row, else `outbox-<first id>-<last id>-<digest of every id>`.

    Two jobs share a key only if they hold the same rows. The range alone would not do: rows
    commit in any order, so the same first and last ids can frame different sets (a relay run
    that queued a job and then rolled back leaves it in the queue without a row that committed
    later between its ids), and SAQ queues nothing under a key it still holds unfinished.
    """
    if len(message_ids) == 1:
        return job_key(message_ids[0])
    ids = ",".join(str(message_id) for message_id in message_ids)
    digest = hashlib.blake2b(ids.encode(), digest_size=4).hexdigest()
    return f"{KEY_PREFIX}{message_ids[0]}-{message_ids[-1]}-{digest}"


def message_id_of(key: str | None) -> int | None:
    """The outbox row id a key names alone (`outbox-<id>`), or None for any other key."""
    number = (key or "").removeprefix(KEY_PREFIX)
    if key is None or number == key or not (number.isascii() and number.isdigit()):
        return None
    return int(number)


@dataclass(frozen=True)
class Message:
    """One outbox row: its job was never relayed (`queued_as` is None), or was relayed before
    in the job keyed `queued_as`, longer ago than the lease, and is not yet known to be done."""

    id: int
    job: str
    payload: dict[str, Any]
    queued_as: str | None = None

    @property
    def relayed(self) -> bool:
        return self.queued_as is not None


# What `send` says of each message: the key of the job that now holds it (queued now, or still
# queued, running or waiting for a retry: the row is kept), or None when its job is done
# (completed, or failed for good and dead-lettered: the row goes).
QueuedAs = str | None

Send = Callable[[Sequence[Message]], Awaitable[Sequence[QueuedAs]]]


@asynccontextmanager
async def _releasing_transaction() -> AsyncIterator[None]:
    """Piccolo's transaction, whose connection goes back to the pool however it ends.

    When PostgreSQL drops the connection inside the transaction (a restart, a killed
    backend), Piccolo's rollback raises before it releases the connection, and asyncpg does
    not always release a connection that was aborted rather than lost: each such outage
    would then keep one pooled connection checked out for good, until the pool is exhausted
    and its closing hangs. Releasing it again is harmless: asyncpg ignores a released one.
    """
    engine = OutboxMessage._meta.db
    transaction = engine.transaction()
    try:
        async with transaction:
            yield
    except BaseException:
        connection = getattr(transaction, "connection", None)  # unset when nested
        pool = getattr(engine, "pool", None)  # PostgresEngine's; the Engine type has none
        if pool is not None and isinstance(connection, PoolConnectionProxy):
            await pool.release(connection)
        raise


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A database transaction that may `record` jobs; the relay is woken once it commits
    (waking it earlier would have it look before the rows are visible)."""
    async with _releasing_transaction():
        yield
    pending_work.set()


async def record(job: Job, **payload: Any) -> None:
    """Queue `job(**payload)` for the worker; call inside `transaction()`, with the change."""
    await OutboxMessage.insert(OutboxMessage(job=job.value, payload=payload))


async def relay(send: Send, lease_seconds: float, batch_size: int = 100) -> int:
    """Hand to `send` every row not yet relayed, or relayed more than `lease_seconds` ago;
    returns how many rows it handed over.

    Rows go in batches, oldest first, each locked while sent (SKIP LOCKED lets several relays
    share the work). `send` returns, for each message in order, the key of the job that now
    holds it, or None when its job is done: a held row is marked relayed in that job now (its
    lease starts again), a done one is deleted. If `send` raises, the transaction rolls back
    and the rows stay as they were.
    """
    handed = after = 0
    while True:
        async with _releasing_transaction():
            rows = await fetch(
                sql(
                    "SELECT id, job, payload, queued_as FROM outbox"
                    " WHERE id > {after} AND (relayed_at IS NULL"
                    " OR relayed_at < now() - make_interval(secs => {lease}))"
                    " ORDER BY id LIMIT {batch} FOR UPDATE SKIP LOCKED",
                    after=after,
                    lease=float(lease_seconds),
                    batch=batch_size,
                )
            )
            messages = [
                Message(row["id"], row["job"], json.loads(row["payload"]), row["queued_as"])
                for row in rows
            ]
            keys = await send(messages) if messages else []
            held = [(m.id, key) for m, key in zip(messages, keys, strict=True) if key is not None]
            if held:
                await fetch(
                    sql(
                        "UPDATE outbox SET relayed_at = now(), queued_as = held.key"
                        " FROM unnest({ids}::bigint[], {keys}::text[]) AS held(id, key)"
                        " WHERE outbox.id = held.id",
                        ids=[message_id for message_id, _ in held],
                        keys=[key for _, key in held],
                    )
                )
            await finish([m.id for m, key in zip(messages, keys, strict=True) if key is None])
        handed += len(rows)
        # Past the rows of this call: a lease renewed just now is not due again in it.
        after = rows[-1]["id"] if rows else after
        if len(rows) < batch_size:
            return handed


async def messages(job: Job, message_ids: Sequence[int]) -> list[Message]:
    """The rows of `job` among `message_ids` still in the outbox (their job not yet done),
    oldest first: what a job queued with those rows has left to run."""
    rows = await fetch(
        sql(
            "SELECT id, job, payload, queued_as FROM outbox"
            " WHERE id = ANY({ids}) AND job = {job} ORDER BY id",
            ids=list(message_ids),
            job=job.value,
        )
    )
    return [
        Message(row["id"], row["job"], json.loads(row["payload"]), row["queued_as"]) for row in rows
    ]


async def finish(message_ids: Sequence[int]) -> int:
    """Delete these outbox rows, whose jobs are done; returns how many were still there."""
    if not message_ids:
        return 0
    rows = await fetch(
        sql("DELETE FROM outbox WHERE id = ANY({ids}) RETURNING id", ids=list(message_ids))
    )
    return len(rows)


async def seconds_until_due(lease_seconds: float) -> float | None:
    """Seconds until the lease of the earliest relayed row runs out (0.0 if one has), or None
    when no relayed row waits for its job: how long the relay may sleep without missing one."""
    rows = await fetch(
        sql(
            "SELECT extract(epoch FROM min(relayed_at) + make_interval(secs => {lease}) - now())"
            " AS due FROM outbox WHERE relayed_at IS NOT NULL",
            lease=float(lease_seconds),
        )
    )
    due = rows[0]["due"]
    return None if due is None else max(0.0, float(due))


async def backlog() -> int:
    """How many recorded jobs wait to be relayed for the first time."""
    count: int = await OutboxMessage.count().where(OutboxMessage.relayed_at.is_null())
    return count


async def unfinished() -> int:
    """How many recorded jobs are not yet done: waiting to be relayed, or relayed and not yet
    known to be completed or dead-lettered."""
    count: int = await OutboxMessage.count()
    return count
