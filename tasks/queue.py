"""The one SAQ queue that the web process enqueues to and the worker consumes."""

from __future__ import annotations

from saq import Queue

from domain.settings import Settings

QUEUE_NAME = "agora"


def create_queue(settings: Settings) -> Queue:
    return Queue.from_url(settings.redis_url, name=QUEUE_NAME)
