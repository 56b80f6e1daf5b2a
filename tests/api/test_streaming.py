"""The Mastodon streaming API against a live server and worker: Server-Sent Events and the
WebSocket, the events a post, a like and a deletion cause, scopes, blocks and refusals."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.api.helpers import Caller, caller

pytestmark = [pytest.mark.serial, pytest.mark.usefixtures("live_worker")]

DELIVERY_SECONDS = 2.0


@pytest.fixture
async def client(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as live:
        yield live


class EventReader:
    """The events of one open Server-Sent Events response, as (event, data) pairs."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()
        self.comments: list[str] = []

    async def greeting(self) -> None:
        async with asyncio.timeout(DELIVERY_SECONDS):
            async for line in self.lines:
                if line.startswith(":"):
                    return

    async def next(self, seconds: float = DELIVERY_SECONDS) -> tuple[str, str]:
        async with asyncio.timeout(seconds):
            event, data = "message", []
            async for line in self.lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line.startswith("event:"):
                    event = line[len("event:") :].strip()
                elif line.startswith("data:"):
                    data.append(line[len("data:") :].strip())
                elif line == "" and data:
                    return event, "\n".join(data)
        raise AssertionError("the stream ended")

    async def until(self, event: str, seconds: float = DELIVERY_SECONDS) -> dict[str, Any]:
        """The payload of the next `event`, skipping others; fails after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            name, data = await self.next(max(0.01, deadline - time.monotonic()))
            if name == event:
                payload: dict[str, Any] = json.loads(data) if data.startswith("{") else {"id": data}
                return payload


@asynccontextmanager
async def sse(client: httpx.AsyncClient, path: str, token: str) -> AsyncIterator[EventReader]:
    async with client.stream(
        "GET", path, headers={"Authorization": f"Bearer {token}"}, timeout=None
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response)
        await reader.greeting()  # once read, the subscription is in place
        yield reader


async def two_people(client: httpx.AsyncClient) -> tuple[Caller, Caller]:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    response = await alice.post(f"/api/v1/accounts/{bob.user.id}/follow")
    assert response.status_code == 200
    return alice, bob


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/streaming/health")
    assert response.status_code == 200
    assert response.text == "OK"


async def test_the_instance_names_the_streaming_url_from_the_public_url(
    client: httpx.AsyncClient, live_server: str
) -> None:
    expected = live_server.replace("http://", "ws://")
    v1 = (await client.get("/api/v1/instance")).json()
    v2 = (await client.get("/api/v2/instance")).json()
    assert v1["urls"]["streaming_api"] == expected
    assert v2["configuration"]["urls"]["streaming"] == expected


async def test_refusals_carry_mastodons_errors(client: httpx.AsyncClient) -> None:
    alice = await caller(client, "alice")
    writer = await caller(client, "walter", scopes="write")
    cases = [
        ("/api/v1/streaming/user", {}, 401, "Missing access token"),
        ("/api/v1/streaming/user", {"access_token": "nonsense"}, 401, "Invalid access token"),
        ("/api/v1/streaming/nowhere", {"access_token": alice.token}, 400, "Unknown stream type"),
        (
            "/api/v1/streaming/hashtag",
            {"access_token": alice.token},
            400,
            "No tag for stream provided",
        ),
        (
            "/api/v1/streaming/user",
            {"access_token": writer.token},
            401,
            "Access token does not have the required scopes",
        ),
    ]
    for path, params, status, message in cases:
        response = await client.get(path, params=params)
        assert (response.status_code, response.json()) == (status, {"error": message}), path


async def test_the_user_stream_carries_home_posts_notifications_and_deletes(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await two_people(client)
    mine = await alice.status("Alice's own post")
    async with sse(client, "/api/v1/streaming/user", alice.token) as stream:
        started = time.monotonic()
        post = await bob.status("Hello from Bob")
        update = await stream.until("update")
        if update["id"] == mine["id"]:  # her own post's fan-out may be heard first
            update = await stream.until("update")
        assert update["id"] == post["id"] and update["account"]["username"] == "bob"
        assert update["favourited"] is False
        assert time.monotonic() - started < DELIVERY_SECONDS

        assert (await bob.post(f"/api/v1/statuses/{mine['id']}/favourite")).status_code == 200
        notification = await stream.until("notification")
        assert notification["type"] == "favourite"
        assert notification["account"]["username"] == "bob"
        assert notification["status"]["id"] == mine["id"]

        assert (await bob.delete(f"/api/v1/statuses/{post['id']}")).status_code == 200
        assert await stream.until("delete") == {"id": post["id"]}


async def test_the_notification_stream_needs_only_read_notifications(
    client: httpx.AsyncClient,
) -> None:
    alice = await caller(client, "alice", scopes="read:notifications")
    bob = await caller(client, "bob")
    async with sse(client, "/api/v1/streaming/user/notification", alice.token) as stream:
        assert (await bob.post(f"/api/v1/accounts/{alice.user.id}/follow")).status_code == 200
        notification = await stream.until("notification")
        assert notification["type"] == "follow"


async def test_public_and_hashtag_streams_leave_out_blocked_authors(
    client: httpx.AsyncClient,
) -> None:
    alice, carol, dave = [await caller(client, name) for name in ("alice", "carol", "dave")]
    assert (await alice.post(f"/api/v1/accounts/{carol.user.id}/block")).status_code == 200
    async with (
        sse(client, "/api/v1/streaming/public", alice.token) as public,
        sse(client, "/api/v1/streaming/hashtag?tag=Cats", alice.token) as tagged,
    ):
        await carol.status("Carol's #cats, hidden from Alice")
        await dave.status("Dave, no tag")
        await dave.status("Dave's #cats")
        seen = [(await public.until("update"))["content"] for _ in range(2)]
        assert all("Dave" in content for content in seen)
        only = await tagged.until("update")
        assert "Dave&#x27;s" in only["content"] or "Dave's" in only["content"]


async def test_the_websocket_multiplexes_streams(
    client: httpx.AsyncClient, live_server: str
) -> None:
    alice, bob = await two_people(client)
    url = live_server.replace("http://", "ws://") + "/api/v1/streaming"
    async with websockets.connect(f"{url}?stream=user", subprotocols=[alice.token]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == alice.token
        await socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "news"}))
        await socket.send(json.dumps({"type": "subscribe", "stream": "somewhere"}))
        error = json.loads(await asyncio.wait_for(socket.recv(), DELIVERY_SECONDS))
        assert error == {"error": "Unknown stream type", "status": 400}
        post = await bob.status("Big #news")
        frames = [
            json.loads(await asyncio.wait_for(socket.recv(), DELIVERY_SECONDS)) for _ in range(2)
        ]
        streams = sorted(tuple(frame["stream"]) for frame in frames)
        assert streams == [("hashtag", "news"), ("user",)]
        for frame in frames:
            assert frame["event"] == "update"
            assert json.loads(frame["payload"])["id"] == post["id"]
        await socket.send(json.dumps({"type": "unsubscribe", "stream": "user"}))
        await asyncio.sleep(0.2)
        await bob.status("Just #news")
        frame = json.loads(await asyncio.wait_for(socket.recv(), DELIVERY_SECONDS))
        assert frame["stream"] == ["hashtag", "news"]


async def test_the_websocket_refuses_a_bad_token(live_server: str) -> None:
    url = live_server.replace("http://", "ws://") + "/api/v1/streaming?access_token=nonsense"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body or b"{}") == {"error": "Invalid access token"}


async def test_the_direct_stream_carries_conversations_to_their_participants_only(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await two_people(client)
    carol = await caller(client, "carol")
    async with (
        sse(client, "/api/v1/streaming/direct", alice.token) as alices,
        sse(client, "/api/v1/streaming/direct", carol.token) as carols,
    ):
        started = time.monotonic()
        sent = await bob.status("@alice just between us", visibility="direct")
        conversation = await alices.until("conversation")
        assert time.monotonic() - started < DELIVERY_SECONDS
        assert conversation["unread"] is True
        assert conversation["last_status"]["id"] == sent["id"]
        assert [account["username"] for account in conversation["accounts"]] == ["bob"]
        # Carol is no participant: her direct stream hears nothing of it.
        with pytest.raises(TimeoutError):
            await carols.until("conversation", seconds=1.0)
