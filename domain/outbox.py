"""The transactional outbox: jobs written with the change that needs them, relayed to SAQ later.

`record` must be called inside the transaction of the change (opened with `transaction()`),
so the job exists exactly when the change does. A process-wide event tells the relay, once
the transaction has committed, that there is something to send.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from domain.tables import OutboxMessage

pending_work = asyncio.Event()

Send = Callable[[int, str, dict[str, Any]], Awaitable[None]]


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A database transaction that may `record` jobs; the relay is woken once it commits
    (waking it earlier would have it look before the rows are visible)."""
    async with OutboxMessage._meta.db.transaction():
        yield
    pending_work.set()


async def record(job: str, **payload: Any) -> None:
    """Queue `job(**payload)` for the worker; call inside `transaction()`, with the change."""
    await OutboxMessage.insert(OutboxMessage(job=job, payload=payload))


async def relay(send: Send, batch_size: int = 100) -> int:
    """Hand recorded jobs to `send(message id, job, payload)`, deleting each sent one.

    Rows are locked while sent (SKIP LOCKED lets several relays share the work); if `send`
    raises, the transaction rolls back and the remaining rows stay for the next relay.
    """
    sent = 0
    while True:
        async with OutboxMessage._meta.db.transaction():
            rows: list[dict[str, Any]] = await OutboxMessage.raw(
                "SELECT id, job, payload FROM outbox ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                batch_size,
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
