"""Proof that each post is shown to exactly the people its visibility allows, everywhere.

Every visibility, for every viewer, on every surface (each page and API endpoint that lists or
shows posts, and the actions on a post) is checked against EXPECTED, a table written out by
hand below, not computed by the rule it checks. Everything goes through the real app over
HTTP, with a real worker running the jobs (the fan-out fills the Redis home timelines, the
notifications are delivered) and the fragment cache in use.

The world: `author` writes one post of each visibility, each mentioning `mentioned`, tagged
#vistag and carrying the word "matrixword". `follower` follows the author; `blocked` and
`unfollowed` followed too, until the author blocks the one and the other unfollows, after
the posts reached their home timelines and after they liked, bookmarked and commented on
what they could see. `other` is a member who does not follow; `visitor` is not signed in.
Each viewer likes, bookmarks and comments on every post it can, and the author answers each
comment, so that bookmarks, favourites and notifications have something to hide.

To add a surface: write a function
`async def surface(world, viewer) -> set[Visibility]` returning the visibilities whose post
the viewer was shown, add it to SURFACES and its row to EXPECTED.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import redis.asyncio as aioredis
from httpx import AsyncClient, Response
from litestar import Litestar
from saq import Worker

from domain import accounts, timelines
from domain.accounts import User
from domain.core.sql import fetch, sql
from domain.core.visibility import VISIBILITIES, Visibility
from domain.posts import Post, ReplyTarget, publish
from tasks.queue import WorkerContext
from tests.api.helpers import token_for
from tests.conftest import TEST_REDIS_URL
from tests.helpers import post_form, settled

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]

VIEWERS = ("author", "follower", "mentioned", "other", "visitor", "blocked", "unfollowed")
# One letter per visibility in EXPECTED: Public, Unlisted, Followers only (private), Direct.
LETTERS: dict[Visibility, str] = {"public": "P", "unlisted": "U", "private": "F", "direct": "D"}

# What each viewer is shown of the author's four posts on each surface (SURFACES says which
# request each is), one letter per visibility (P public, U unlisted, F followers only,
# D direct) and "-" where the post is not shown; for the actions, the posts on which the
# action succeeds. The visitor's home page is the public feed; the API searches what people
# wrote only for a member's token (as Mastodon does). The author hears of likes,
# `mentioned` of the mention, the others of the author's answers to their comments. The
# comment rows read the author's comment on each post. Actions come last: they change things.
TABLE = """
| surface              | author | follower | mentioned | other | visitor | blocked | unfollowed |
| home page            | PUFD   | PUF-     | ----      | ----  | P---    | ----    | ----       |
| API timelines/home   | PUFD   | PUF-     | ----      | ----  | ----    | ----    | ----       |
| explore page         | P---   | P---     | P---      | P---  | P---    | ----    | P---       |
| API timelines/public | P---   | P---     | P---      | P---  | P---    | ----    | P---       |
| tag page             | P---   | P---     | P---      | P---  | P---    | ----    | P---       |
| API timelines/tag    | P---   | P---     | P---      | P---  | P---    | ----    | P---       |
| search page          | P---   | P---     | P---      | P---  | P---    | ----    | P---       |
| API v2/search        | P---   | P---     | P---      | P---  | ----    | ----    | P---       |
| profile page         | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| API account statuses | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| permalink page       | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| API status           | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| API context          | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| API comment status   | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| API comment context  | PUFD   | PUF-     | PUFD      | PU--  | PU--    | ----    | PU--       |
| notifications page   | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| API notifications    | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| bookmarks page       | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| API bookmarks        | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| API favourites       | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| messages page        | ---D   | ----     | ---D      | ----  | ----    | ----    | ----       |
| conversation pages   | ---D   | ----     | ---D      | ----  | ----    | ----    | ----       |
| API conversations    | ---D   | ----     | ---D      | ----  | ----    | ----    | ----       |
| like (page form)     | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| API bookmark         | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| reply (page form)    | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
| API reply            | PUFD   | PUF-     | PUFD      | PU--  | ----    | ----    | PU--       |
"""


def _parsed(table: str) -> dict[str, dict[str, str]]:
    """The table as surface -> viewer -> cell."""
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")] for line in table.strip().splitlines()
    ]
    viewers = rows[0][1:]
    return {row[0]: dict(zip(viewers, row[1:], strict=True)) for row in rows[1:]}


EXPECTED = _parsed(TABLE)


@dataclass
class Viewer:
    name: str
    page: AsyncClient  # cookies of a signed-in member, or none for the visitor
    token: str | None  # a bearer token, or None for the visitor
    user: User | None = None

    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def api(self, method: str, url: str, **kwargs: Any) -> Response:
        return await self.page.request(method, url, headers=self.api_headers(), **kwargs)


@dataclass
class World:
    author_id: int
    posts: dict[Visibility, int]
    author_comments: dict[Visibility, int]
    viewers: dict[str, Viewer] = field(default_factory=dict)

    def shown(self, found_ids: set[int]) -> set[Visibility]:
        return {v for v, post_id in self.posts.items() if post_id in found_ids}


async def redis_timeline(user_id: int) -> set[int]:
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        members = cast(list[bytes], await client.zrange(timelines.timeline_key(user_id), 0, -1))
    finally:
        await client.aclose()
    return {int(member) for member in members} - {int(timelines.SENTINEL)}


def card_ids(html: str) -> set[int]:
    """The posts shown as cards on a page."""
    return {int(found) for found in re.findall(r'<article class="post" id="post-(\d+)"', html)}


def linked_ids(html: str) -> set[int]:
    """The author's posts a page links to (notifications link to the post they are about)."""
    return {int(found) for found in re.findall(r'href="/@author/(\d+)', html)}


def status_ids(body: Any) -> set[int]:
    statuses = body if isinstance(body, list) else body.get("statuses", [])
    return {int(s["id"]) for s in statuses if s["id"].isdigit()}


async def page_cards(world: World, viewer: Viewer, url: str) -> set[Visibility]:
    response = await viewer.page.get(url)
    if response.status_code != 200:
        return set()
    return world.shown(card_ids(response.text))


async def api_statuses(world: World, viewer: Viewer, url: str) -> set[Visibility]:
    response = await viewer.api("GET", url)
    if response.status_code != 200:
        return set()
    return world.shown(status_ids(response.json()))


def done(status: int) -> Callable[[Response], bool]:
    """Whether a response is the success `status` (a 303 elsewhere than the log-in page)."""

    def check(response: Response) -> bool:
        to_login = response.headers.get("location", "").startswith("/login")
        return response.status_code == status and not to_login

    return check


async def each_post_answers(
    world: World,
    ask: Callable[[Visibility, int], Awaitable[Response]],
    ok: Callable[[Response], bool],
) -> set[Visibility]:
    """The visibilities whose post answered as `ok` says; any other answer must be a refusal
    (404 for a post one may not see, 403 across a block, or the log-in wall)."""
    shown: set[Visibility] = set()
    for visibility, post_id in world.posts.items():
        response = await ask(visibility, post_id)
        if ok(response):
            shown.add(visibility)
        else:
            assert response.status_code in (303, 401, 403, 404), (visibility, response.text)
    return shown


# Each surface: what the viewer was shown there.
Surface = Callable[[World, Viewer], Awaitable[set[Visibility]]]


async def home_page(world: World, viewer: Viewer) -> set[Visibility]:
    return await page_cards(world, viewer, "/")


async def api_home(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, "/api/v1/timelines/home")


async def explore_page(world: World, viewer: Viewer) -> set[Visibility]:
    return await page_cards(world, viewer, "/explore")


async def api_public(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, "/api/v1/timelines/public")


async def tag_page(world: World, viewer: Viewer) -> set[Visibility]:
    return await page_cards(world, viewer, "/tags/vistag")


async def api_tag(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, "/api/v1/timelines/tag/vistag")


async def search_page(world: World, viewer: Viewer) -> set[Visibility]:
    return await page_cards(world, viewer, "/search?q=matrixword")


async def api_search(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, "/api/v2/search?q=matrixword&type=statuses")


async def profile_page(world: World, viewer: Viewer) -> set[Visibility]:
    return await page_cards(world, viewer, "/@author")


async def api_account_statuses(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, f"/api/v1/accounts/{world.author_id}/statuses")


async def permalink_page(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(visibility: Visibility, post_id: int) -> Response:
        response = await viewer.page.get(f"/@author/{post_id}")
        if response.status_code == 200:
            # The post and the author's comment on it are on the page.
            assert f"author note {visibility}" in response.text
        return response

    return await each_post_answers(world, ask, done(200))


async def api_status(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(_: Visibility, post_id: int) -> Response:
        return await viewer.api("GET", f"/api/v1/statuses/{post_id}")

    return await each_post_answers(world, ask, done(200))


async def api_context(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(visibility: Visibility, post_id: int) -> Response:
        response = await viewer.api("GET", f"/api/v1/statuses/{post_id}/context")
        if response.status_code == 200:
            below = {s["id"] for s in response.json()["descendants"]}
            assert f"c{world.author_comments[visibility]}" in below
        return response

    return await each_post_answers(world, ask, done(200))


async def comment_status(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(visibility: Visibility, _: int) -> Response:
        response = await viewer.api("GET", f"/api/v1/statuses/c{world.author_comments[visibility]}")
        if response.status_code == 200:
            assert response.json()["visibility"] == visibility
        return response

    return await each_post_answers(world, ask, done(200))


async def comment_context(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(visibility: Visibility, post_id: int) -> Response:
        comment = world.author_comments[visibility]
        response = await viewer.api("GET", f"/api/v1/statuses/c{comment}/context")
        if response.status_code == 200:
            assert response.json()["ancestors"][0]["id"] == str(post_id)
        return response

    return await each_post_answers(world, ask, done(200))


async def notifications_page(world: World, viewer: Viewer) -> set[Visibility]:
    response = await viewer.page.get("/notifications")
    if response.status_code != 200:
        return set()
    return world.shown(linked_ids(response.text))


async def api_notifications(world: World, viewer: Viewer) -> set[Visibility]:
    response = await viewer.api("GET", "/api/v1/notifications")
    if response.status_code != 200:
        return set()
    about = {n["status"]["id"] for n in response.json() if n.get("status")}
    # A reply's notification carries the comment: its ancestor is the post.
    ids = {int(i) for i in about if i.isdigit()}
    for comment in (i for i in about if i.startswith("c")):
        context = (await viewer.api("GET", f"/api/v1/statuses/{comment}/context")).json()
        ids |= {int(s["id"]) for s in context.get("ancestors", []) if s["id"].isdigit()}
    return world.shown(ids)


async def bookmarks_page(world: World, viewer: Viewer) -> set[Visibility]:
    return await page_cards(world, viewer, "/bookmarks")


async def api_bookmarks(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, "/api/v1/bookmarks")


async def api_favourites(world: World, viewer: Viewer) -> set[Visibility]:
    return await api_statuses(world, viewer, "/api/v1/favourites")


def message_ids(html: str) -> set[int]:
    """The messages (direct posts) a conversation page shows."""
    return {
        int(found) for found in re.findall(r'<li class="message[^"]*" id="message-(\d+)"', html)
    }


async def messages_page(world: World, viewer: Viewer) -> set[Visibility]:
    """The conversations /messages lists, each opened from its link."""
    response = await viewer.page.get("/messages")
    if response.status_code != 200:
        return set()
    shown: set[int] = set()
    for conversation in re.findall(r'href="/messages/(\d+)"', response.text):
        shown |= message_ids((await viewer.page.get(f"/messages/{conversation}")).text)
    return world.shown(shown)


async def conversation_pages(world: World, viewer: Viewer) -> set[Visibility]:
    """Every conversation there is, opened by its address whether listed or not."""
    shown: set[int] = set()
    for row in await fetch(sql("SELECT id FROM conversation")):
        response = await viewer.page.get(f"/messages/{row['id']}")
        if response.status_code == 200:
            shown |= message_ids(response.text)
        else:
            assert response.status_code in (303, 404), response.text
    return world.shown(shown)


async def api_conversations(world: World, viewer: Viewer) -> set[Visibility]:
    response = await viewer.api("GET", "/api/v1/conversations")
    if response.status_code != 200:
        return set()
    # By the conversation: a reply sent on the direct post's page (the reply form's surface)
    # may have become its last status.
    row = await Post.select(Post.conversation).where(Post.id == world.posts["direct"]).first()
    assert row is not None
    listed = {int(c["id"]) for c in response.json()}
    return {"direct"} if row["conversation"] in listed else set()


async def like_form(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(_: Visibility, post_id: int) -> Response:
        return await post_form(viewer.page, f"/posts/{post_id}/like", {})

    return await each_post_answers(world, ask, done(303))


async def api_bookmark(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(_: Visibility, post_id: int) -> Response:
        return await viewer.api("POST", f"/api/v1/statuses/{post_id}/bookmark")

    return await each_post_answers(world, ask, done(200))


async def reply_form(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(_: Visibility, post_id: int) -> Response:
        return await post_form(viewer.page, f"/posts/{post_id}/comments", {"text": "late"})

    return await each_post_answers(world, ask, done(303))


async def api_reply(world: World, viewer: Viewer) -> set[Visibility]:
    async def ask(visibility: Visibility, post_id: int) -> Response:
        response = await viewer.api(
            "POST", "/api/v1/statuses", data={"status": "late", "in_reply_to_id": str(post_id)}
        )
        if response.status_code == 200:
            assert response.json()["visibility"] == visibility
        return response

    return await each_post_answers(world, ask, done(200))


SURFACES: dict[str, Surface] = {
    "home page": home_page,
    "API timelines/home": api_home,
    "explore page": explore_page,
    "API timelines/public": api_public,
    "tag page": tag_page,
    "API timelines/tag": api_tag,
    "search page": search_page,
    "API v2/search": api_search,
    "profile page": profile_page,
    "API account statuses": api_account_statuses,
    "permalink page": permalink_page,
    "API status": api_status,
    "API context": api_context,
    "API comment status": comment_status,
    "API comment context": comment_context,
    "notifications page": notifications_page,
    "API notifications": api_notifications,
    "bookmarks page": bookmarks_page,
    "API bookmarks": api_bookmarks,
    "API favourites": api_favourites,
    "messages page": messages_page,
    "conversation pages": conversation_pages,
    "API conversations": api_conversations,
    "like (page form)": like_form,
    "API bookmark": api_bookmark,
    "reply (page form)": reply_form,
    "API reply": api_reply,
}


def code(shown: set[Visibility]) -> str:
    return "".join(LETTERS[v] if v in shown else "-" for v in VISIBILITIES)


def test_the_table_covers_every_surface_and_viewer() -> None:
    assert list(EXPECTED) == list(SURFACES)
    for surface, row in EXPECTED.items():
        assert tuple(row) == VIEWERS, surface
        assert all(re.fullmatch("[P-][U-][F-][D-]", cell) for cell in row.values()), surface


async def _user(name: str) -> User:
    found = await accounts.find_user(name)
    assert found is not None
    return found


async def _comment(client: AsyncClient, post_id: int, text: str, parent: int | None = None) -> int:
    data = {"text": text, **({"parent_id": str(parent)} if parent else {})}
    response = await post_form(client, f"/posts/{post_id}/comments", data)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("-", 1)[1])


async def build_world(app: Litestar, members: Members, visitor: AsyncClient) -> World:
    names = [name for name in VIEWERS if name != "visitor"]
    clients = {name: await members(name) for name in names}
    for name in ("follower", "blocked", "unfollowed"):
        assert (await post_form(clients[name], "/@author/follow", {})).status_code == 303
    for client in clients.values():  # builds each member's Redis home timeline
        assert (await client.get("/")).status_code == 200
    posts: dict[Visibility, int] = {}
    for visibility in VISIBILITIES:
        text = f"{visibility} matrixword for @mentioned #vistag"
        response = await post_form(
            clients["author"], "/posts", {"text": text, "visibility": visibility}
        )
        assert response.status_code == 303, response.text
        posts[visibility] = int(response.headers["location"].rsplit("-", 1)[1])
    await settled(app)
    author = await _user("author")
    notes: dict[Visibility, int] = {
        v: await _comment(clients["author"], p, f"author note {v}")
        for v, p in posts.items()
        if v != "direct"
    }
    # A reply on a direct post's page continues its conversation, so a comment on one is
    # made as an older Agora made them (the rule must still hide it).
    direct_note = ReplyTarget(posts["direct"])
    notes["direct"] = (await publish(author, "author note direct", in_reply_to=direct_note)).id
    world = World(author.id, posts, notes)
    for name in names:
        user = await _user(name)
        world.viewers[name] = Viewer(name, clients[name], await token_for(user), user)
    world.viewers["visitor"] = Viewer("visitor", visitor, None)
    # The fan-out job filled the Redis timelines with what each reader may see.
    for name in ("follower", "unfollowed", "blocked"):
        assert await redis_timeline(await _id(world, name)) == {
            posts["public"],
            posts["unlisted"],
            posts["private"],
        }, name
    assert await redis_timeline(await _id(world, "mentioned")) == set()
    await _interact(world)
    await settled(app)
    # Now the follows end, after the posts and the interactions.
    assert (await post_form(clients["author"], "/@blocked/block", {})).status_code == 303
    assert (await post_form(clients["unfollowed"], "/@author/unfollow", {})).status_code == 303
    await settled(app)
    return world


async def _id(world: World, name: str) -> int:
    user = world.viewers[name].user
    assert user is not None
    return user.id


async def _interact(world: World) -> None:
    """Every member likes, bookmarks and comments on every post it may see (the others are
    refused), and the author answers each comment."""
    for name, viewer in world.viewers.items():
        if viewer.token is None:
            continue
        for post_id in world.posts.values():
            liked = await post_form(viewer.page, f"/posts/{post_id}/like", {})
            if liked.status_code != 303:
                assert liked.status_code == 404, (name, post_id)
                continue
            await post_form(viewer.page, f"/posts/{post_id}/bookmark", {})
            if name != "author":
                comment = await _comment(viewer.page, post_id, f"from {name}")
                await _comment(world.viewers["author"].page, post_id, "thanks", comment)


async def test_each_post_is_shown_to_exactly_whom_its_visibility_allows(
    app: Litestar, members: Members, client: AsyncClient, worker: Worker[WorkerContext]
) -> None:
    world = await build_world(app, members, client)
    found: dict[str, dict[str, str]] = {}
    for surface, look in SURFACES.items():
        found[surface] = {name: code(await look(world, world.viewers[name])) for name in VIEWERS}
    leaks_and_misses = {
        (surface, name): (EXPECTED[surface][name], seen)
        for surface, row in found.items()
        for name, seen in row.items()
        if seen != EXPECTED[surface][name]
    }
    assert leaks_and_misses == {}


async def test_an_unfollow_hides_followers_only_posts_at_once_even_from_a_filled_timeline(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    """Visibility is judged when a page is read: a follower who stops following no longer
    sees the followers-only post, though the Redis timeline (and the fragment cache) still
    hold it until the refresh job runs."""
    author, reader = await members("author"), await members("reader")
    assert (await post_form(reader, "/@author/follow", {})).status_code == 303
    await reader.get("/")
    response = await post_form(
        author, "/posts", {"text": "for my followers", "visibility": "private"}
    )
    post_id = int(response.headers["location"].rsplit("-", 1)[1])
    await settled(app)
    reader_id = (await _user("reader")).id
    assert post_id in await redis_timeline(reader_id)
    shown = await reader.get("/")
    assert post_id in card_ids(shown.text)  # rendered and stored as a fragment
    # The follow ends in PostgreSQL while the timeline and the fragment are still in Redis,
    # as between an unfollow and its refresh job.
    await fetch(sql("DELETE FROM follow WHERE follower = {reader}", reader=reader_id))
    assert post_id in await redis_timeline(reader_id)
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        assert await client.keys(f"frag:post:{post_id}:*")
    finally:
        await client.aclose()
    for url in ("/", "/@author", "/bookmarks"):
        page = (await reader.get(url)).text
        assert post_id not in card_ids(page) and "for my followers" not in page, url
    assert (await reader.get(f"/@author/{post_id}")).status_code == 404


async def test_an_unfollow_through_the_page_hides_them_too(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    author, reader = await members("author"), await members("reader")
    await post_form(reader, "/@author/follow", {})
    await reader.get("/")
    await post_form(author, "/posts", {"text": "followers see this", "visibility": "private"})
    await settled(app)
    assert "followers see this" in (await reader.get("/")).text
    await post_form(reader, "/@author/unfollow", {})
    # Before any job runs, and after.
    assert "followers see this" not in (await reader.get("/")).text
    await settled(app)
    assert "followers see this" not in (await reader.get("/")).text
    # The timeline rebuilt after the unfollow holds none of the author's posts.
    assert await redis_timeline((await _user("reader")).id) == set()
