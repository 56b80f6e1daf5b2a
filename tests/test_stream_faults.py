"""Live streams through a Redis outage: a web process on a Redis of the test's own keeps its
open stream heartbeating while Redis is killed, keeps serving pages, and delivers events
again once Redis is back, without the client reconnecting. What is published meanwhile is
lost to the stream, never to the notifications list."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress

import httpx
import pytest
import redis.asyncio as redis_async

from domain import notifications, social
from domain.core.events import Event, EventName, channel
from tests.api.helpers import make_user, token_for
from tests.browser.conftest import serving
from tests.test_job_reliability import PrivateRedis, private_redis

pytestmark = pytest.mark.serial

__all__ = ["private_redis"]

HEARTBEAT = 0.3


@pytest.fixture
def web_on_private_redis(private_redis: PrivateRedis, test_database: str) -> Iterator[str]:
    settings = {
        "REDIS_URL": private_redis.url,
        "OUTBOX_SWEEP_SECONDS": "3600",
        "STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT),
    }
    with serving(settings) as server:
        yield server.url


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """("comment", text) for each comment, (event, data) for each event."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data = line[len("data:") :].strip()
        elif line == "" and data:
            yield event, data
            event, data = "message", ""


async def _publish_until_heard(
    url: str, events: asyncio.Queue[tuple[str, str]], event: Event, seconds: float
) -> float:
    """Publish `event` on the private Redis every 0.2 s until the stream delivers it; how
    long that took. Fails after `seconds`."""
    client = redis_async.Redis.from_url(url)
    started = time.monotonic()
    try:
        async with asyncio.timeout(seconds):
            while True:
                await client.publish(channel(0), event.encode())
                with suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        while await events.get() != ("delete", str(event.item_id)):
                            pass
                        return time.monotonic() - started
    finally:
        await client.aclose()


async def _pump(response: httpx.Response, events: asyncio.Queue[tuple[str, str]]) -> None:
    async for item in _events(response):
        await events.put(item)


async def test_a_stream_outlives_a_redis_outage(
    private_redis: PrivateRedis, web_on_private_redis: str
) -> None:
    alice = await make_user("alice")
    token = await token_for(alice, "read")
    events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    async with (
        httpx.AsyncClient(base_url=web_on_private_redis, timeout=10) as client,
        client.stream(
            "GET", "/api/v1/streaming/user", params={"access_token": token}, timeout=None
        ) as response,
    ):
        assert response.status_code == 200
        pump = asyncio.create_task(_pump(response, events))
        try:
            assert await asyncio.wait_for(events.get(), 5) == ("comment", ")")
            await _publish_until_heard(private_redis.url, events, Event(EventName.DELETE, 1), 5)

            private_redis.kill_after_snapshot()
            # The stream stays open and keeps its heartbeat while Redis is away...
            heartbeats = 0
            async with asyncio.timeout(HEARTBEAT * 10):
                while heartbeats < 3:
                    heartbeats += await events.get() == ("comment", "thump")
            # ...pages keep working...
            assert (await client.get("/explore")).status_code == 200
            # ...and a notification delivered meanwhile is in the list, the record.
            bob = await make_user("bob")
            await social.follow(bob, alice.id)
            assert await notifications.deliver("follow", actor_id=bob.id, user_id=alice.id) == 1
            listed = await client.get(
                "/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}
            )
            assert [item["type"] for item in listed.json()] == ["follow"]

            private_redis.start()
            # Back: the same connection hears events again (the listener reconnects with a
            # back-off of at most 5 s).
            waited = await _publish_until_heard(
                private_redis.url, events, Event(EventName.DELETE, 2), 10
            )
            assert waited < 10
        finally:
            pump.cancel()
