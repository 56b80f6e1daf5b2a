"""The one SAQ queue that the web process enqueues to and the worker consumes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from saq.queue.redis import RedisQueue
from saq.types import Context

from domain.core.settings import Settings

QUEUE_NAME = "agora"


def create_queue(settings: Settings) -> RedisQueue:
    # Built from a client rather than Queue.from_url, which rejects unix:// socket URLs
    # (the bundled Redis of the embedded default listens on a socket).
    return RedisQueue(Redis.from_url(settings.redis_url), name=QUEUE_NAME)


class WorkerContext(Context, total=False):
    """What SAQ hands every job: its own fields, and the worker's Redis client."""

    redis: Redis


# A job's function: SAQ calls it with the context and the job's keyword arguments.
JobFunction = Callable[..., Awaitable[Any]]
