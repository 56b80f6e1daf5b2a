"""Open streams end when what let them open does: a page's stream when its session ends, a
client's when its token is revoked (each heartbeat checks). And the pages' endpoints refuse
what they cannot serve."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from domain import accounts, oauth
from tests.api.helpers import make_user, token_for
from tests.browser.conftest import serving
from tests.test_stream_faults import HEARTBEAT, _events

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def quick_server(test_database: str) -> Iterator[str]:
    """A web process whose streams heartbeat every HEARTBEAT seconds."""
    settings = {"OUTBOX_SWEEP_SECONDS": "3600", "STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT)}
    with serving(settings) as server:
        yield server.url


async def test_a_page_stream_says_bye_when_its_session_ends(quick_server: str) -> None:
    alice = await make_user("alice")
    session = await accounts.start_session(alice)
    async with (
        httpx.AsyncClient(base_url=quick_server, cookies={"agora_session": session}) as client,
        client.stream("GET", "/events", timeout=None) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = _events(response)
        assert await anext(stream) == ("comment", "live")
        await accounts.end_session(session)
        async with asyncio.timeout(HEARTBEAT * 10):
            rest = [item async for item in stream]
        assert rest[-1] == ("bye", "session ended")


async def test_a_mastodon_stream_ends_when_its_token_is_revoked(quick_server: str) -> None:
    alice = await make_user("alice")
    token = await token_for(alice, "read")
    async with (
        httpx.AsyncClient(base_url=quick_server) as client,
        client.stream(
            "GET", "/api/v1/streaming/user", params={"access_token": token}, timeout=None
        ) as response,
    ):
        stream = _events(response)
        assert await anext(stream) == ("comment", ")")
        assert await anext(stream) == ("comment", "thump")
        await oauth.revoke_all_tokens(alice.id)
        async with asyncio.timeout(HEARTBEAT * 10):
            async for _ in stream:
                pass  # the stream ends rather than heartbeating on


async def test_the_page_endpoints_refuse_what_they_cannot_serve(quick_server: str) -> None:
    alice = await make_user("alice")
    session = await accounts.start_session(alice)
    async with httpx.AsyncClient(base_url=quick_server) as visitor:
        # No session: 204 tells EventSource to stop trying.
        assert (await visitor.get("/events")).status_code == 204
        assert (await visitor.get("/home/new")).status_code in (302, 303, 401)
    async with httpx.AsyncClient(
        base_url=quick_server, cookies={"agora_session": session}
    ) as member:
        refused = await member.get("/home/new", params={"after": "not-a-number"})
        assert refused.status_code == 400
        assert "after" in refused.text
        fine = await member.get("/home/new", params={"after": "0"})
        assert fine.status_code == 200
        assert "0 new posts shown." in fine.text
