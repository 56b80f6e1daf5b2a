"""Feed pages: cursor paging, htmx fragments, and a fixed number of queries per page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from httpx import AsyncClient

from domain import posts, social
from domain.accounts import User
from domain.core import outbox, redis_guard
from tests.conftest import QueryCounter
from tests.helpers import htmx_headers, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
OLDER = re.compile(r'<a href="(/[^"]*cursor=[^"]+)"[^>]*>Older posts</a>')


async def author(username: str) -> User:
    user = await User.objects().where(User.username == username).first()
    assert user is not None
    return user


async def many_posts(username: str, count: int) -> None:
    writer = await author(username)
    for n in range(count):
        await posts.publish(writer, f"post number {n}")


def post_numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"post number (\d+)", page)]


@pytest.mark.parametrize("path", ["/", "/explore", "/@alice"])
async def test_feeds_page_by_twenty_newest_first(members: Members, path: str) -> None:
    alice = await members("alice")
    await many_posts("alice", 25)
    first = (await alice.get(path)).text
    assert post_numbers(first) == list(range(24, 4, -1))
    older = OLDER.search(first)
    assert older, "page one links to older posts"
    second = (await alice.get(older.group(1).replace("&amp;", "&"))).text
    assert post_numbers(second) == [4, 3, 2, 1, 0]
    assert "Older posts" not in second


async def test_htmx_gets_the_next_page_as_a_fragment(members: Members) -> None:
    alice = await members("alice")
    await many_posts("alice", 45)
    older = OLDER.search((await alice.get("/explore")).text)
    assert older
    response = await alice.get(older.group(1), headers=htmx_headers(alice))
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert "<html" not in response.text and "<h1" not in response.text
    assert post_numbers(response.text) == list(range(24, 4, -1))
    assert "20 older posts loaded." in response.text
    assert OLDER.search(response.text), "the fragment carries the link to the page after"
    full = await alice.get(older.group(1))
    assert "<html" in full.text and "HX-Request" in full.headers["vary"]


async def test_a_bad_cursor_is_a_clear_400(members: Members) -> None:
    alice = await members("alice")
    for cursor in ("garbage", "MTIz", "%%%"):
        response = await alice.get(f"/explore?cursor={cursor}")
        assert response.status_code == 400
        assert "That page link is not valid" in response.text


async def test_home_shows_followed_people_and_own_posts_only(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    await members("carol")
    await write_post(alice, "alice writes")
    bob = await author("bob")
    carol = await author("carol")
    await posts.publish(bob, "bob writes")
    await posts.publish(carol, "carol writes")
    await social.follow(await author("alice"), bob.id)
    home = (await alice.get("/")).text
    assert "alice writes" in home and "bob writes" in home
    assert "carol writes" not in home
    assert "carol writes" in (await alice.get("/explore")).text


async def test_visitors_get_a_welcome_page_with_the_public_feed(
    client: AsyncClient, members: Members
) -> None:
    alice = await members("alice")
    await write_post(alice, "public hello")
    page = (await client.get("/")).text
    assert "<h1>Welcome to Agora</h1>" in page
    assert 'href="/signup"' in page and 'href="/login"' in page
    assert "public hello" in page


async def outbox_drained() -> None:
    """Wait until the app's relay has sent every recorded job, so it adds no queries."""
    for _ in range(100):
        if await outbox.backlog() == 0:
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox was not relayed")


async def test_a_feed_page_costs_the_same_queries_however_full(
    members: Members, queries: QueryCounter
) -> None:
    alice = await members("alice")
    await members("bob")
    bob = await author("bob")
    await write_post(alice, "the only post")
    await alice.get("/")  # builds alice's timeline
    await outbox_drained()
    queries.reset()
    assert (await alice.get("/")).status_code == 200
    sparse = queries.count

    await many_posts("alice", 30)
    for post_id in range(2, 22):
        await posts.favourite(bob, post_id)
        await posts.bookmark(bob, post_id)
    reader = await members("reader")
    await social.follow(await author("reader"), (await author("alice")).id)
    await reader.get("/")  # builds the reader's timeline
    await outbox_drained()
    queries.reset()
    page = await reader.get("/")
    assert page.status_code == 200
    assert len(post_numbers(page.text)) == 20
    assert queries.count == sparse
    # The session, the nav's counts (one statement: unread notifications and unread
    # conversations, a COUNT on an index each), then one query for the 20 posts with the
    # viewer's likes and bookmarks.
    assert sparse == 3


async def test_without_redis_a_feed_page_is_one_keyset_query(
    members: Members, queries: QueryCounter
) -> None:
    reader = await members("reader")
    await many_posts("reader", 25)
    redis_guard.use(None)  # as when Redis is down: the feed comes straight from Postgres
    await outbox_drained()
    queries.reset()
    page = await reader.get("/")
    assert len(post_numbers(page.text)) == 20
    assert queries.count == 3  # the session, the nav's counts, the feed


async def test_pages_are_not_reused_from_the_browser_cache(members: Members) -> None:
    alice = await members("alice")
    page = await alice.get("/explore")
    assert page.headers["cache-control"] == "no-store"
    assert "HX-Request" in page.headers["vary"]
