"""Timelines, bookmarks and favourites: contents, paging by id, Link headers."""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from httpx import AsyncClient, Response

from domain import timelines
from domain.core import redis_guard
from domain.core.settings import get_settings
from tests.api.helpers import Caller, caller


def links(response: Response) -> dict[str, dict[str, list[str]]]:
    """rel -> query of each link in the Link header."""
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))
    return {rel: parse_qs(urlsplit(url).query) for url, rel in found}


def ids(response: Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [status["id"] for status in response.json()]


async def posts(author: Caller, count: int) -> list[str]:
    return [(await author.status(f"{author.user.username} {n}"))["id"] for n in range(count)]


async def test_home_has_own_and_followed_posts_only(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    carol = await caller(client, "carol")
    mine = await alice.status("mine")
    bobs = await bob.status("bob's")
    await carol.status("carol's")
    await alice.post(f"/api/v1/accounts/{bob.user.id}/follow")
    reply = await bob.status("a reply", in_reply_to_id=mine["id"])
    assert ids(await alice.get("/api/v1/timelines/home")) == [bobs["id"], mine["id"]]
    assert reply["id"] not in ids(await client.get("/api/v1/timelines/public"))
    assert len(ids(await client.get("/api/v1/timelines/public"))) == 3


async def test_home_paging_max_since_min_and_limit(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    made = await posts(alice, 7)
    newest_first = list(reversed(made))
    page1 = await alice.get("/api/v1/timelines/home", params={"limit": 3})
    assert ids(page1) == newest_first[:3]
    rels = links(page1)
    assert rels["next"]["max_id"] == [newest_first[2]] and rels["next"]["limit"] == ["3"]
    assert rels["prev"]["min_id"] == [newest_first[0]]
    page2 = await alice.get(
        "/api/v1/timelines/home", params={"max_id": newest_first[2], "limit": 3}
    )
    assert ids(page2) == newest_first[3:6]
    page3 = await alice.get(
        "/api/v1/timelines/home", params={"max_id": newest_first[5], "limit": 3}
    )
    assert ids(page3) == newest_first[6:]
    assert "next" not in links(page3)
    # since_id: the newest ones above it; min_id: the ones right after it.
    since = await alice.get("/api/v1/timelines/home", params={"since_id": made[2], "limit": 2})
    assert ids(since) == [made[6], made[5]]
    after = await alice.get("/api/v1/timelines/home", params={"min_id": made[2], "limit": 2})
    assert ids(after) == [made[4], made[3]]
    assert links(after)["prev"]["min_id"] == [made[4]]
    assert links(after)["next"]["max_id"] == [made[3]]
    empty = await alice.get("/api/v1/timelines/home", params={"min_id": made[6]})
    assert ids(empty) == [] and "link" not in empty.headers


async def test_home_is_read_from_the_redis_timeline_with_big_authors_merged(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANOUT_MAX_FOLLOWERS", "1")  # two followers make the star a big author
    get_settings.cache_clear()
    try:
        fan = await caller(client, "fan")
        friend = await caller(client, "friend")
        star = await caller(client, "star")
        for follower in (fan, friend):
            await follower.post(f"/api/v1/accounts/{star.user.id}/follow")
        await fan.post(f"/api/v1/accounts/{friend.user.id}/follow")
        written = []
        for number in range(3):
            written += [(await friend.status(f"friend {number}"))["id"]]
            written += [(await star.status(f"star {number}"))["id"]]
        newest_first = written[::-1]

        pages: list[str] = []
        response = await fan.get("/api/v1/timelines/home", params={"limit": 4})
        while True:
            pages += ids(response)
            older = links(response).get("next")
            if not older:
                break
            response = await fan.get("/api/v1/timelines/home", params=older)
        assert pages == newest_first
        # Read through Redis: the fan's timeline holds the friend's posts, not the star's.
        guard = redis_guard.active()
        assert guard is not None
        # Members only (no scores), undecoded: bytes. redis-py types any ZRANGE reply as a
        # union that covers member-score pairs and decoded strings too.
        kept = cast(
            list[bytes], await guard.client.zrevrange(timelines.timeline_key(fan.user.id), 0, -1)
        )
        assert {int(member) for member in kept} >= {int(i) for i in written[0::2]}
        assert not {int(member) for member in kept} & {int(i) for i in written[1::2]}
    finally:
        get_settings.cache_clear()


async def test_limit_defaults_to_20_and_is_clamped_to_40(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await posts(alice, 45)
    assert len(ids(await client.get("/api/v1/timelines/public"))) == 20
    assert len(ids(await client.get("/api/v1/timelines/public?limit=100"))) == 40
    assert len(ids(await client.get("/api/v1/timelines/public?limit=0"))) == 1


async def test_bad_paging_parameters(client: AsyncClient) -> None:
    for query in ("max_id=abc", "since_id=-1", "min_id=c3", "max_id=" + "9" * 30):
        response = await client.get(f"/api/v1/timelines/public?{query}")
        assert response.status_code == 422, query
        assert "error" in response.json()
    # limit follows the same rule as the ids (domain.core.numbers): 422 with the reason.
    assert (await client.get("/api/v1/timelines/public?limit=many")).status_code == 422


async def test_home_needs_read_statuses(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/timelines/home")).status_code == 401
    writer = await caller(client, "alice", scopes="write")
    assert (await writer.get("/api/v1/timelines/home")).status_code == 403
    narrow = await caller(client, "bob", scopes="read:statuses")
    assert (await narrow.get("/api/v1/timelines/home")).status_code == 200


async def test_public_timeline_remote_and_media_are_empty(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await alice.status("local post")
    assert ids(await client.get("/api/v1/timelines/public?remote=true")) == []
    assert ids(await client.get("/api/v1/timelines/public?only_media=true")) == []
    assert len(ids(await client.get("/api/v1/timelines/public?local=true"))) == 1


async def test_tag_timeline(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    tagged = await alice.status("I like #Python a lot")
    await alice.status("no tags here, not even python")
    await alice.status("#pythonic is another tag")
    assert ids(await client.get("/api/v1/timelines/tag/python")) == [tagged["id"]]
    assert ids(await client.get("/api/v1/timelines/tag/PYTHON")) == [tagged["id"]]
    assert ids(await client.get("/api/v1/timelines/tag/nothing")) == []
    assert (await client.get("/api/v1/timelines/tag/bad-tag!")).status_code == 404


async def test_bookmarks_are_ordered_and_paged_by_bookmark(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    first, second, third = await posts(alice, 3)
    for post_id in (second, first, third):  # bookmark order differs from post order
        await bob.post(f"/api/v1/statuses/{post_id}/bookmark")
    page = await bob.get("/api/v1/bookmarks", params={"limit": 2})
    assert ids(page) == [third, first]
    assert all(status["bookmarked"] for status in page.json())
    next_query = links(page)["next"]
    rest = await bob.get("/api/v1/bookmarks", params={"max_id": next_query["max_id"][0]})
    assert ids(rest) == [second]
    await bob.post(f"/api/v1/statuses/{first}/unbookmark")
    assert ids(await bob.get("/api/v1/bookmarks")) == [third, second]
    assert ids(await alice.get("/api/v1/bookmarks")) == []


async def test_favourites_are_ordered_by_like(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    first, second = await posts(alice, 2)
    await bob.post(f"/api/v1/statuses/{second}/favourite")
    await bob.post(f"/api/v1/statuses/{first}/favourite")
    favourites = await bob.get("/api/v1/favourites")
    assert ids(favourites) == [first, second]
    assert all(status["favourited"] for status in favourites.json())


async def test_bookmarks_and_favourites_scopes(client: AsyncClient) -> None:
    for url in ("/api/v1/bookmarks", "/api/v1/favourites"):
        assert (await client.get(url)).status_code == 401
    statuses_only = await caller(client, "alice", scopes="read:statuses")
    assert (await statuses_only.get("/api/v1/bookmarks")).status_code == 403
    assert (await statuses_only.get("/api/v1/favourites")).status_code == 403
    both = await caller(client, "bob", scopes="read:bookmarks read:favourites")
    assert (await both.get("/api/v1/bookmarks")).status_code == 200
    assert (await both.get("/api/v1/favourites")).status_code == 200


async def test_link_header_keeps_other_query_parameters(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await posts(alice, 3)
    page = await client.get("/api/v1/timelines/public", params={"local": "true", "limit": 1})
    next_link: dict[str, Any] = links(page)["next"]
    assert next_link["local"] == ["true"]
    assert page.headers["link"].startswith("<http://agora.test/api/v1/timelines/public?")
