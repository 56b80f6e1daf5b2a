"""The `notify` job: turns a recorded event (a follow, like, comment or mention) into
notifications. Idempotent, so a retry or a duplicate relay does no harm: the domain inserts
with ON CONFLICT DO NOTHING against a unique index (see domain.notifications)."""

from __future__ import annotations

from domain import notifications
from domain.core.outbox import Job
from tasks.queue import JobFunction, WorkerContext


async def notify(ctx: WorkerContext, *, kind: str, **event: int | None) -> int:
    """Create the notifications for one event; returns how many were new."""
    return await notifications.deliver(kind, **event)


NOTIFICATION_JOBS: dict[Job, JobFunction] = {Job.NOTIFY: notify}
