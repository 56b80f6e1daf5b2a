"""Home feeds are never short while older posts their reader may see exist (issue 11, item 1):
ids in a Redis timeline whose posts the reader may no longer see (suspended or deleted
author, deleted post, a block) are skipped and the page is filled from the next candidates,
on the home page and the API's home timeline alike, in a bounded number of round trips."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from httpx import AsyncClient
from piccolo.querystring import QueryString

from domain import moderation, posts, social, timelines
from domain.accounts import User
from domain.core import redis_guard
from domain.feeds import home
from domain.feeds.cards import visible_where
from domain.social import Block
from tests.api.helpers import token_for

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
OLDER = re.compile(r'<a href="(/[^"]*cursor=[^"]+)"[^>]*>Older posts</a>')
EMPTY = "Your feed is empty"


async def user(username: str) -> User:
    found = await User.objects().where(User.username == username).first()
    assert found is not None
    return found


async def write(username: str, count: int, label: str | None = None) -> list[int]:
    """`count` posts by the user, oldest first, each saying '<label> <n>'."""
    writer = await user(username)
    made = []
    for n in range(count):
        made.append((await posts.publish(writer, f"{label or username} {n}")).id)
    return made


def shown(page: str, label: str) -> list[int]:
    return [int(n) for n in re.findall(rf"\b{label} (\d+)\b", page)]


async def moderator(members: Members) -> User:
    await members("mod")
    await User.update({User.role: "moderator"}).where(User.username == "mod")
    return await user("mod")


async def reader_following(members: Members, *authors: str) -> AsyncClient:
    reader = await members("reader")
    for name in authors:
        await members(name)
        await social.follow(await user("reader"), (await user(name)).id)
    return reader


async def api_home(client: AsyncClient, query: str = "") -> list[str]:
    token = await token_for(await user("reader"))
    response = await client.get(
        f"/api/v1/timelines/home{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return [status["content"] for status in response.json()]


async def all_pages(reader: AsyncClient, label: str) -> list[list[int]]:
    """Every home page, following "Older posts" to the end, as the numbers shown on each."""
    pages = []
    page = (await reader.get("/")).text
    while True:
        pages.append(shown(page, label))
        older = OLDER.search(page)
        if older is None:
            return pages
        page = (await reader.get(older.group(1).replace("&amp;", "&"))).text


async def test_the_issue_example_suspended_author_hides_nothing_else(
    members: Members, client: AsyncClient
) -> None:
    """Follow X and Y; Y posts 5 times, then X 25 times; X is suspended."""
    reader = await reader_following(members, "x", "y")
    await write("y", 5)
    await write("x", 25)
    assert len(shown((await reader.get("/")).text, "x")) == 20  # X's posts are in Redis now
    await moderation.suspend(await moderator(members), "x")

    page = (await reader.get("/")).text
    assert EMPTY not in page
    assert shown(page, "y") == [4, 3, 2, 1, 0] and shown(page, "x") == []
    assert "Older posts" not in page
    statuses = await api_home(client)
    assert [int(re.findall(r"y (\d)", s)[0]) for s in statuses] == [4, 3, 2, 1, 0]


async def test_many_hidden_posts_then_full_pages_from_postgres_too(
    members: Members, client: AsyncClient
) -> None:
    """More hidden ids than the Redis rounds read (21 + 42 + 84): PostgreSQL fills the page."""
    reader = await reader_following(members, "x", "y")
    await write("y", 25)
    await write("x", 160)
    await reader.get("/")
    await moderation.suspend(await moderator(members), "x")

    pages = await all_pages(reader, "y")
    assert pages == [list(range(24, 4, -1)), [4, 3, 2, 1, 0]]
    first = await api_home(client, "?limit=20")
    assert len(first) == 20
    assert len(await api_home(client, "?limit=40")) == 25


async def test_hidden_posts_between_visible_ones_leave_no_gap_and_no_duplicate(
    members: Members,
) -> None:
    reader = await reader_following(members, "x", "y")
    for n in range(6):
        await posts.publish(await user("y"), f"y {n}")
        await write("x", 7, label=f"x{n}")
    await reader.get("/")
    await moderation.suspend(await moderator(members), "x")
    # Six visible posts under 42 hidden: one page, nothing after it.
    assert await all_pages(reader, "y") == [[5, 4, 3, 2, 1, 0]]


async def test_no_older_link_when_only_hidden_posts_are_older(members: Members) -> None:
    reader = await reader_following(members, "x", "y")
    await write("x", 10)
    await write("y", 20)
    await reader.get("/")
    await moderation.suspend(await moderator(members), "x")
    page = (await reader.get("/")).text
    assert shown(page, "y") == list(range(19, -1, -1))
    assert "Older posts" not in page  # it would lead to an empty page


async def test_deleted_posts_still_in_redis_are_skipped(members: Members) -> None:
    reader = await reader_following(members, "y")
    await write("y", 5, label="kept")
    doomed = await write("y", 30, label="doomed")
    await reader.get("/")
    # Deleting runs the retraction as a job; until it runs, the ids stay in the timeline.
    await posts.Post.delete().where(posts.Post.id.is_in(doomed))
    assert shown((await reader.get("/")).text, "kept") == [4, 3, 2, 1, 0]


async def test_a_block_the_timeline_has_not_caught_up_with(
    members: Members, client: AsyncClient
) -> None:
    reader = await reader_following(members, "x", "y")
    await write("y", 3)
    await write("x", 30)
    await reader.get("/")
    # As when the block was made while Redis was away: the timeline still holds X's posts.
    await Block(blocker=(await user("reader")).id, blocked=(await user("x")).id).save()
    assert shown((await reader.get("/")).text, "y") == [2, 1, 0]
    assert len(await api_home(client)) == 3


async def test_api_paging_by_max_id_stays_full(members: Members, client: AsyncClient) -> None:
    reader = await reader_following(members, "x", "y")
    await write("y", 12)
    await write("x", 50)
    await reader.get("/")
    await moderation.suspend(await moderator(members), "x")
    token = await token_for(await user("reader"))
    headers = {"Authorization": f"Bearer {token}"}
    first = await client.get("/api/v1/timelines/home?limit=5", headers=headers)
    assert [s["content"] for s in first.json()] == [f"<p>y {n}</p>" for n in range(11, 6, -1)]
    assert 'rel="next"' in first.headers["link"]
    rest = await client.get(
        f"/api/v1/timelines/home?limit=40&max_id={first.json()[-1]['id']}", headers=headers
    )
    assert [s["content"] for s in rest.json()] == [f"<p>y {n}</p>" for n in range(6, -1, -1)]
    assert 'rel="next"' not in rest.headers.get("link", "")


async def test_without_redis_the_page_is_full_as_well(members: Members) -> None:
    reader = await reader_following(members, "x", "y")
    await write("y", 5)
    await write("x", 25)
    await moderation.suspend(await moderator(members), "x")
    redis_guard.use(None)
    assert shown((await reader.get("/")).text, "y") == [4, 3, 2, 1, 0]


async def test_round_trips_are_bounded(members: Members) -> None:
    """However many ids are hidden, filling a page costs at most REDIS_ROUNDS loads from
    Redis candidates and one from PostgreSQL."""
    await reader_following(members, "x", "y")
    await write("y", 3)
    await write("x", 300)
    reader_id = (await user("reader")).id
    guard = redis_guard.active()
    assert guard is not None
    assert await timelines.page_ids(guard, reader_id, None, 1)  # builds the timeline
    await moderation.suspend(await moderator(members), "x")
    loads = 0

    async def counting(condition: QueryString) -> Mapping[int, int]:
        nonlocal loads
        loads += 1
        return await visible_where(condition, reader_id)

    found = await home.fill_home(reader_id, None, 21, counting)
    assert len(found) == 3
    assert loads == home.REDIS_ROUNDS + 1
