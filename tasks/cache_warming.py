"""Keeps the fragments most likely to be read warm: the busiest recent posts and the public feed."""

from __future__ import annotations

from domain import feeds
from domain.core import redis_guard
from tasks.queue import WorkerContext


async def warm_cache(ctx: WorkerContext) -> int:
    """Render and cache fragments not already cached; returns how many posts it covered."""
    return await feeds.warm_fragments(redis_guard.active())
