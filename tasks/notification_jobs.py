"""The `notify` job: turns a recorded event (a follow, like, comment or mention) into
notifications. Idempotent, so a retry or a duplicate relay does no harm: the domain inserts
with ON CONFLICT DO NOTHING against a unique index (see domain/notifications.py)."""

from __future__ import annotations

from typing import Any

from domain import notifications


async def notify(ctx: dict[str, Any], *, kind: str, **event: int | None) -> int:
    """Create the notifications for one event; returns how many were new."""
    return await notifications.deliver(kind, **event)


NOTIFICATION_JOBS = (notify,)
