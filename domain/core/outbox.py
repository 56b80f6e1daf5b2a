"""The transactional outbox: jobs written with the change that needs them, kept until done.

`record` must be called inside the transaction of the change (opened with `transaction()`),
so the job exists exactly when the change does. A process-wide event tells the relay, once
the transaction has committed, that there is something to send.

A row's life: written with the change; relayed (handed to the job queue, `relayed_at` set);
deleted when its job completes or is dead-lettered (`finish`, `domain.core.dead_letters`).
A row relayed longer ago than the relay's lease is handed over again, so that the relay can
ask the queue about its job: one the queue lost (Redis restarted empty, or from an older
snapshot) is queued again, one that finished without its row being deleted (PostgreSQL was
away) is settled then. The queue's job key, `job_key(id)`, keeps a job queued at most once.

Jobs are named by `Job`, never by strings: the worker (tasks/worker.py) maps every member to
the function that runs it and refuses to start if one is missing, so a job can be recorded
only if a worker runs it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum, StrEnum
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
    """The job queue's key for the job of outbox row `message_id`: `outbox-<id>`."""
    return f"{KEY_PREFIX}{message_id}"


def message_id_of(key: str | None) -> int | None:
    """The outbox row id a job key names (`outbox-<id>`), or None for any other key."""
    number = (key or "").removeprefix(KEY_PREFIX)
    if key is None or number == key or not (number.isascii() and number.isdigit()):
        return None
    return int(number)


@dataclass(frozen=True)
class Message:
    """One outbox row handed to the relay's `send`: its job was never relayed, or was relayed
    before (`relayed`) longer ago than the lease and is not yet known to be done."""

    id: int
    job: str
    payload: dict[str, Any]
    relayed: bool

    @property
    def key(self) -> str:
        return job_key(self.id)


class Relayed(Enum):
    """What `send` found of a message's job."""

    QUEUED = "queued"  # queued now, or still queued, running or waiting for a retry: row kept
    DONE = "done"  # completed, or failed for good and dead-lettered: the row goes


Send = Callable[[Sequence[Message]], Awaitable[Sequence[Relayed]]]


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
    share the work). `send` returns, for each message in order, what became of its job: a row
    whose job is QUEUED is marked relayed now (its lease starts again), a row whose job is DONE
    is deleted. If `send` raises, the transaction rolls back and the rows stay as they were.
    """
    handed = after = 0
    while True:
        async with _releasing_transaction():
            rows = await fetch(
                sql(
                    "SELECT id, job, payload, relayed_at IS NOT NULL AS relayed FROM outbox"
                    " WHERE id > {after} AND (relayed_at IS NULL"
                    " OR relayed_at < now() - make_interval(secs => {lease}))"
                    " ORDER BY id LIMIT {batch} FOR UPDATE SKIP LOCKED",
                    after=after,
                    lease=float(lease_seconds),
                    batch=batch_size,
                )
            )
            messages = [
                Message(row["id"], row["job"], json.loads(row["payload"]), row["relayed"])
                for row in rows
            ]
            outcomes = await send(messages) if messages else []
            queued = [
                m.id for m, done in zip(messages, outcomes, strict=True) if done is Relayed.QUEUED
            ]
            finished = [
                m.id for m, done in zip(messages, outcomes, strict=True) if done is Relayed.DONE
            ]
            if queued:
                await fetch(
                    sql("UPDATE outbox SET relayed_at = now() WHERE id = ANY({ids})", ids=queued)
                )
            if finished:
                await fetch(sql("DELETE FROM outbox WHERE id = ANY({ids})", ids=finished))
        handed += len(rows)
        # Past the rows of this call: a lease renewed just now is not due again in it.
        after = rows[-1]["id"] if rows else after
        if len(rows) < batch_size:
            return handed


async def finish(message_id: int) -> bool:
    """Delete outbox row `message_id`, whose job is done; False if it was already gone."""
    rows = await fetch(sql("DELETE FROM outbox WHERE id = {id} RETURNING id", id=message_id))
    return bool(rows)


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
