"""The one SAQ queue that the web process enqueues to and the worker consumes."""

from __future__ import annotations

from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from domain.settings import Settings

QUEUE_NAME = "agora"


def create_queue(settings: Settings) -> RedisQueue:
    # Built from a client rather than Queue.from_url, which rejects unix:// socket URLs
    # (the bundled Redis of the embedded default listens on a socket).
    return RedisQueue(Redis.from_url(settings.redis_url), name=QUEUE_NAME)
