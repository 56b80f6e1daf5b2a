"""The /search page: people, posts and tags, for visitors and members."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient

from domain.accounts import User
from tests.helpers import write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def test_search_finds_people_posts_and_tags(client: AsyncClient, members: Members) -> None:
    alice = await members("alice")
    await members("alfred")
    await members("bob")
    await write_post(alice, "Gardening tips for #spring: water early")
    await write_post(alice, "Nothing to see")
    people = (await client.get("/search?q=al")).text
    assert "@alice" in people and "@alfred" in people and "@bob" not in people
    posts = (await client.get("/search?q=water+gardening")).text
    assert "Gardening tips" in posts and "Nothing to see" not in posts
    assert 'id="posts-heading">Posts</h2>' in posts
    tags = (await client.get("/search?q=%23spring")).text
    assert '<a href="/tags/spring">#spring</a>' in tags


async def test_search_shows_the_viewer_state_and_hides_suspended_accounts(
    members: Members,
) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "findable words")
    await alice.post(f"/posts/{post_id}/like", headers={"x-csrftoken": alice.cookies["agora_csrf"]})
    page = (await alice.get("/search?q=findable")).text
    assert f'id="like-{post_id}" class="icon-button toggle" aria-pressed="true"' in page
    await User.update({User.is_suspended: True}).where(User.username == "alice")
    hidden = (await members("bob")).get("/search?q=findable")
    text = (await hidden).text
    assert "findable words" not in text and "@alice" not in text


async def test_an_empty_or_odd_query_is_answered_plainly(client: AsyncClient) -> None:
    empty = await client.get("/search")
    assert empty.status_code == 200 and 'role="search"' in empty.text
    odd = await client.get("/search?q=" + "%25_%5C" * 100)
    assert odd.status_code == 200 and "Nobody matches" in odd.text


async def test_results_come_a_page_at_a_time(client: AsyncClient, members: Members) -> None:
    alice = await members("alice")
    for number in range(23):
        await write_post(alice, f"needle number {number}")
    first = (await client.get("/search?q=needle")).text
    assert first.count('<article class="post"') == 20
    assert "needle number 22" in first and "needle number 2<" not in first
    assert 'href="/search?q=needle&amp;page=2" rel="next">More results</a>' in first
    assert 'rel="prev"' not in first
    second = (await client.get("/search?q=needle&page=2")).text
    assert second.count('<article class="post"') == 3
    assert "needle number 0" in second and "needle number 22" not in second
    assert 'href="/search?q=needle&amp;page=1" rel="prev">Previous results</a>' in second
    assert 'rel="next"' not in second
    assert "(page 2)" in second


async def test_a_page_out_of_range_is_a_clear_error(client: AsyncClient) -> None:
    for page, status in (("0", 422), ("100000", 422), ("x", 400)):
        response = await client.get(f"/search?q=needle&page={page}")
        assert response.status_code == status, page
        assert "page" in response.text.lower()
