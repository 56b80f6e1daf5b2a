"""The live event stream: what happened, published on one Redis pub/sub channel after the
change is committed, so that every web process hears it and pushes it to its open streams
(`channel`; the pages' Server-Sent Events, the Mastodon streaming API).

An event carries ids only, never a rendered entity: each connection renders the post or
notification for its own viewer (their favourites, their blocks, what they may see). Events
are a courtesy on top of the record: the notifications list and the timelines stay the
truth, so an event lost while Redis is away costs a live update, never data.

Publishers are the jobs that already run after commit: fan-out (`update`), notification
delivery (`notification`) and retraction (`delete`); the fan-out of a direct message also
publishes `conversation` to its participants. `status.update` is named for edits, which Agora
does not have yet.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from prometheus_client import Counter

from domain.core import redis_guard

logger = logging.getLogger(__name__)


def channel(database: int) -> str:
    """The Redis pub/sub channel every web process subscribes to. Pub/sub ignores database
    numbers, so the name carries the one Agora uses: two sites sharing a Redis server on
    different databases do not hear each other."""
    return f"agora:events:{database}"


PUBLISHED = Counter("agora_events_published", "Live events published to Redis")
UNPUBLISHED = Counter("agora_events_unpublished", "Live events lost because Redis was away")


class EventName(StrEnum):
    """Mastodon's streaming event names (docs.joinmastodon.org/methods/streaming/#events)."""

    UPDATE = "update"
    """A post entered the home timelines of `readers` (and, when `public`, the public ones)."""
    NOTIFICATION = "notification"
    """Notification `item_id` was delivered to its one reader."""
    DELETE = "delete"
    """Post `item_id` was deleted: every stream that may have shown it is told."""
    STATUS_UPDATE = "status.update"
    """Hook for edits: post `item_id` changed (no publisher yet)."""
    CONVERSATION = "conversation"
    """A direct message changed conversation `item_id`; `readers` are its participants."""


@dataclass(frozen=True)
class Event:
    """One event: its name, the id of the entity it is about, who it is for.

    `readers` are user ids whose own streams (home, notifications, direct) take it; `public`
    puts it on the public and hashtag streams as well. A `delete` goes to every stream.
    """

    name: EventName
    item_id: int
    readers: tuple[int, ...] = ()
    public: bool = False

    def encode(self) -> str:
        """The JSON text published on the channel."""
        return json.dumps(
            {
                "event": self.name.value,
                "id": self.item_id,
                "readers": self.readers,
                "public": self.public,
            }
        )

    @classmethod
    def decode(cls, raw: str | bytes) -> Event:
        """The event published as `raw`; ValueError if it is not one."""
        try:
            data: Any = json.loads(raw)
            return cls(
                EventName(data["event"]),
                int(data["id"]),
                tuple(int(reader) for reader in data.get("readers", ())),
                bool(data.get("public", False)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a live event: {raw!r}") from error


async def publish(event: Event) -> bool:
    """Publish `event` to every web process; False when Redis is away (the event is lost,
    the record it is about is not)."""
    guard = redis_guard.active()
    sent = None
    if guard is not None:
        name = channel(int(guard.client.connection_pool.connection_kwargs.get("db", 0)))
        sent = await guard.call(lambda client: client.publish(name, event.encode()))
    if sent is None:
        UNPUBLISHED.inc()
        logger.info(
            "live event not published (Redis unavailable): %s %s", event.name, event.item_id
        )
        return False
    PUBLISHED.inc()
    return True
