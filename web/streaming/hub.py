"""The web process's end of the live event stream: one Redis pub/sub connection per process
(redis-py's), listening on `domain.core.events.channel` and handing each event to the
subscriptions open in this process.

A subscription is one stream's interest (a reader's home, their notifications, the public
timeline, ...) feeding the queue of the connection it belongs to; a WebSocket with several
streams has several subscriptions on one queue. Queues are bounded: a connection that stops
reading loses events (counted) rather than growing without limit.

When Redis goes away the listener reconnects with back-off while every stream stays open
and keeps its heartbeats, so clients need not reconnect; events published meanwhile are lost
(the notifications list and timelines keep the record).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.core.events import Event, EventName, channel

logger = logging.getLogger(__name__)

QUEUE_SIZE = 256
FIRST_RETRY_SECONDS, LAST_RETRY_SECONDS = 0.25, 5.0
# An idle pub/sub connection is pinged this often, so a Redis that went away is noticed.
PING_SECONDS = 5.0
# The listener waits this long for a message before looking at its stop flag again.
LISTEN_SECONDS = 0.25

OPEN_STREAMS = Gauge("agora_streams_open", "Live stream subscriptions open in this process")
DROPPED = Counter("agora_stream_events_dropped", "Live events dropped for a full queue")


@dataclass(eq=False)
class Subscription:
    """What one stream wants: the events for `user_id`'s home (`home`), their notifications
    (`notifications`), their direct messages (`direct`), and the public posts (`public`).
    `name` is the stream's name as the client gave it (Mastodon's `stream` array)."""

    queue: asyncio.Queue[tuple[Subscription, Event]]
    name: tuple[str, ...]
    user_id: int | None = None
    home: bool = False
    notifications: bool = False
    direct: bool = False
    public: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def new_queue() -> asyncio.Queue[tuple[Subscription, Event]]:
    """A connection's queue of (subscription, event) pairs, bounded."""
    return asyncio.Queue(QUEUE_SIZE)


class Hub:
    """The subscriptions of this process and the task that feeds them from Redis."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.listening = asyncio.Event()
        self._by_user: defaultdict[int, set[Subscription]] = defaultdict(set)
        self._public: set[Subscription] = set()
        self._all: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._stopped = asyncio.Event()

    # ----------------------------------------------------------------- subscriptions

    def add(self, subscription: Subscription) -> None:
        self._all.add(subscription)
        if subscription.user_id is not None:
            self._by_user[subscription.user_id].add(subscription)
        if subscription.public:
            self._public.add(subscription)
        OPEN_STREAMS.inc()

    def remove(self, subscription: Subscription) -> None:
        if subscription not in self._all:
            return
        self._all.discard(subscription)
        self._public.discard(subscription)
        if subscription.user_id is not None:
            mine = self._by_user[subscription.user_id]
            mine.discard(subscription)
            if not mine:
                del self._by_user[subscription.user_id]
        OPEN_STREAMS.dec()

    def _wanting(self, event: Event) -> set[Subscription]:
        if event.name is EventName.DELETE:
            return self._all
        wanted: set[Subscription] = set()
        for reader in event.readers:
            for subscription in self._by_user.get(reader, ()):
                if (
                    (event.name is EventName.UPDATE and subscription.home)
                    or (event.name is EventName.NOTIFICATION and subscription.notifications)
                    or (event.name is EventName.CONVERSATION and subscription.direct)
                    or (event.name is EventName.STATUS_UPDATE and subscription.home)
                ):
                    wanted.add(subscription)
        if event.public and event.name in (EventName.UPDATE, EventName.STATUS_UPDATE):
            wanted |= self._public
        return wanted

    def dispatch(self, event: Event) -> None:
        """Hand `event` to every subscription of this process that wants it."""
        for subscription in self._wanting(event):
            try:
                subscription.queue.put_nowait((subscription, event))
            except asyncio.QueueFull:
                DROPPED.inc()

    # ----------------------------------------------------------------- the listener

    def start(self) -> None:
        self._stopping = False
        self._stopped.clear()
        self._task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        """End the listener: it sees the flag within LISTEN_SECONDS and closes its connection.
        (Cancelling it instead leaves redis-py's pub/sub hanging in its clean-up.)"""
        self._stopping = True
        self._stopped.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=2 * LISTEN_SECONDS + 1)

    async def _listen_forever(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while not self._stopping:
            try:
                await self._listen()
            except (RedisError, OSError) as error:
                if self._stopping:
                    return
                if self.listening.is_set():  # it was working: start the back-off again
                    delay = FIRST_RETRY_SECONDS
                if delay == FIRST_RETRY_SECONDS:  # one line per outage, not per attempt
                    logger.warning("live events: no Redis, retrying: %r", error)
                self.listening.clear()
            with suppress(TimeoutError):  # the back-off, cut short by stop()
                await asyncio.wait_for(self._stopped.wait(), delay)
            delay = min(delay * 2, LAST_RETRY_SECONDS)

    async def _listen(self) -> None:
        client = Redis.from_url(self.redis_url, socket_connect_timeout=2.0)
        try:
            async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                name = channel(int(client.connection_pool.connection_kwargs.get("db", 0)))
                await pubsub.subscribe(name)
                self.listening.set()
                logger.info("live events: listening on Redis channel %s", name)
                pinged = time.monotonic()
                while not self._stopping:
                    message = await pubsub.get_message(timeout=LISTEN_SECONDS)
                    if message is not None and message["type"] == "message":
                        self._receive(message["data"])
                    elif time.monotonic() - pinged > PING_SECONDS:
                        await pubsub.ping()
                        pinged = time.monotonic()
        finally:
            await client.aclose()

    def _receive(self, raw: bytes) -> None:
        try:
            event = Event.decode(raw)
        except ValueError:
            logger.warning("live events: ignored a malformed message %r", raw[:200])
            return
        self.dispatch(event)
