"""Timelines read from Postgres: newest first, keyset-paged on (created_at, id), never OFFSET.

Every feed page is one query: the posts, their authors and whether the viewer liked or
bookmarked each of them come back together, so a page costs the same however full it is.
With a viewer, the query also leaves out the posts of anyone the viewer blocks or is blocked
by (domain.blocks), so every feed, search result and post card hides them alike.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import block_checks, redis_guard, timelines
from domain.errors import NotFound, ValidationFailed
from domain.posts import POST_MISSING
from domain.tables import Post
from domain.text import render_html

PAGE_SIZE = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BAD_CURSOR = "That page link is not valid; go back to the first page."
POST_BLOCKED = "That post is not available to you: you or its author has blocked the other."


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort time and id of its last item."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        # Whole microseconds since the epoch: exact, unlike a float timestamp.
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        raw = f"{micros}.{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """Parse a cursor from a URL; raises ValidationFailed for anything malformed."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            micros, id_text = raw.split(".")
            return cls(EPOCH + timedelta(microseconds=int(micros)), int(id_text))
        except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError) as error:
            raise ValidationFailed({"cursor": BAD_CURSOR}) from error


@dataclass(frozen=True)
class PostCard:
    """Everything a post card shows, including the viewer's own state."""

    id: int
    text: str
    image: str | None
    image_alt: str
    created_at: datetime
    edited_at: datetime | None
    like_count: int
    comment_count: int
    author_id: int
    author_username: str
    author_display_name: str
    author_avatar: str | None
    liked: bool
    bookmarked: bool

    @property
    def html(self) -> str:
        """The text as safe HTML; computed on use, since cached fragments rarely need it."""
        return render_html(self.text)

    @property
    def permalink(self) -> str:
        return f"/@{self.author_username}/{self.id}"


@dataclass(frozen=True)
class FeedPage:
    cards: list[PostCard]
    next_cursor: Cursor | None  # None on the last page


@dataclass(frozen=True)
class _Source:
    """Which posts a feed holds, and the (time, id) columns it is ordered by."""

    joins: str
    condition: str
    params: tuple[Any, ...]
    order_time: str = "p.created_at"
    order_id: str = "p.id"
    # Where the rows aliased `p` come from, and the parameters that clause takes.
    posts_from: str = "post p"
    from_params: tuple[Any, ...] = ()


_SELECT = """
SELECT p.id, p.text, p.image, p.image_alt, p.created_at, p.edited_at,
       p.like_count, p.comment_count,
       u.id AS author_id, u.username, u.display_name, u.avatar,
       EXISTS (SELECT 1 FROM post_like l WHERE l.post = p.id AND l."user" = {}) AS liked,
       EXISTS (SELECT 1 FROM bookmark b WHERE b.post = p.id AND b."user" = {}) AS bookmarked,
       %(order_time)s AS sort_time, %(order_id)s AS sort_id
FROM %(posts_from)s JOIN agora_user u ON u.id = p.author %(joins)s
WHERE NOT u.is_suspended AND (%(condition)s)
"""


def _card(row: dict[str, Any]) -> PostCard:
    return PostCard(
        id=row["id"],
        text=row["text"],
        image=row["image"],
        image_alt=row["image_alt"],
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        like_count=row["like_count"],
        comment_count=row["comment_count"],
        author_id=row["author_id"],
        author_username=row["username"],
        author_display_name=row["display_name"],
        author_avatar=row["avatar"],
        liked=row["liked"],
        bookmarked=row["bookmarked"],
    )


def _select(source: _Source, viewer_id: int | None) -> tuple[str, list[Any]]:
    """The query of a feed's posts as the viewer may see them, and its parameters."""
    sql = _SELECT % {
        "order_time": source.order_time,
        "order_id": source.order_id,
        "posts_from": source.posts_from,
        "joins": source.joins,
        "condition": source.condition,
    }
    unblocked, unblocked_params = block_checks.outside_viewer_blocks(viewer_id, "p.author")
    params = [viewer_id, viewer_id, *source.from_params, *source.params, *unblocked_params]
    return sql + unblocked, params


async def _page(
    source: _Source, viewer_id: int | None, before: Cursor | None, limit: int = PAGE_SIZE
) -> FeedPage:
    sql, params = _select(source, viewer_id)
    if before is not None:
        sql += f" AND ({source.order_time}, {source.order_id}) < ({{}}, {{}})"
        params += [before.created_at, before.id]
    sql += f" ORDER BY {source.order_time} DESC, {source.order_id} DESC LIMIT {{}}"
    rows: list[dict[str, Any]] = await Post.raw(sql, *params, limit + 1)
    cards = [_card(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = Cursor(last["sort_time"], last["sort_id"])
    return FeedPage(cards, next_cursor)


async def home_feed(viewer_id: int, before: Cursor | None = None) -> FeedPage:
    """Posts by the people the viewer follows, and the viewer's own: from the Redis timeline
    when it can answer, else (Redis down, slow, or the page too deep) from Postgres."""
    guard = redis_guard.active()
    if guard is not None:
        ids = await timelines.page_ids(
            guard,
            viewer_id,
            before.id if before else None,
            before.created_at if before else None,
            PAGE_SIZE + 1,
        )
        if ids is not None:
            return await _page_of_ids(ids, viewer_id, PAGE_SIZE)
    return await _page(_home_source(viewer_id, before), viewer_id, before)


def _home_source(viewer_id: int, before: Cursor | None) -> _Source:
    """The newest page from each followed author (and the viewer) by the (author, created_at)
    index, then the newest of those: reads at most a page per author, however many posts
    exist, where filtering one scan of all posts by author would read most of the table."""
    inner_cursor = " AND (q.created_at, q.id) < ({}, {})" if before else ""
    cursor_params = (before.created_at, before.id) if before else ()
    return _Source(
        posts_from=(
            "(SELECT followed AS author FROM follow WHERE follower = {}"
            " UNION ALL SELECT {}::integer) authors"
            " CROSS JOIN LATERAL (SELECT * FROM post q WHERE q.author = authors.author"
            f"{inner_cursor} ORDER BY q.created_at DESC, q.id DESC LIMIT {{}}) p"
        ),
        from_params=(viewer_id, viewer_id, *cursor_params, PAGE_SIZE + 1),
        joins="",
        condition="TRUE",
        params=(),
    )


async def _page_of_ids(ids: list[int], viewer_id: int, limit: int) -> FeedPage:
    found = await cards_by_ids(ids[:limit], viewer_id)
    cards = [found[post_id] for post_id in ids[:limit] if post_id in found]
    has_more = len(ids) > limit and bool(cards)
    next_cursor = Cursor(cards[-1].created_at, cards[-1].id) if has_more else None
    return FeedPage(cards, next_cursor)


async def public_feed(viewer_id: int | None, before: Cursor | None = None) -> FeedPage:
    return await _page(_Source(joins="", condition="TRUE", params=()), viewer_id, before)


async def profile_feed(
    author_id: int, viewer_id: int | None, before: Cursor | None = None
) -> FeedPage:
    source = _Source(joins="", condition="p.author = {}", params=(author_id,))
    return await _page(source, viewer_id, before)


async def tag_feed(tag: str, viewer_id: int | None, before: Cursor | None = None) -> FeedPage:
    """Posts carrying #tag (a normalized tag: letters, digits, underscores), any case."""
    # The same boundaries as domain.text's tag pattern, in Postgres's regex dialect.
    pattern = f"(^|[^[:alnum:]_#&/])#{tag}([^[:alnum:]_]|$)"
    source = _Source(joins="", condition="p.text ~* {}", params=(pattern,))
    return await _page(source, viewer_id, before)


async def bookmarks_feed(viewer_id: int, before: Cursor | None = None) -> FeedPage:
    """The viewer's bookmarks, most recently bookmarked first."""
    source = _Source(
        joins="JOIN bookmark mine ON mine.post = p.id",
        condition='mine."user" = {}',
        params=(viewer_id,),
        order_time="mine.created_at",
        order_id="mine.id",
    )
    return await _page(source, viewer_id, before)


async def cards_by_ids(post_ids: list[int], viewer_id: int | None) -> dict[int, PostCard]:
    """Cards for the given posts, keyed by id; missing or hidden posts are left out."""
    if not post_ids:
        return {}
    sql, params = _select(
        _Source(joins="", condition="p.id = ANY({})", params=(post_ids,)), viewer_id
    )
    rows: list[dict[str, Any]] = await Post.raw(sql, *params)
    return {row["id"]: _card(row) for row in rows}


async def card(post_id: int, viewer_id: int | None) -> PostCard:
    """One post's card; NotFound if it does not exist, its author is suspended, or a block
    stands between its author and the viewer."""
    found = await cards_by_ids([post_id], viewer_id)
    if post_id not in found:
        # Only a miss pays for telling a block apart from a missing post.
        if (
            viewer_id is not None
            and (await block_checks.state_with_author(viewer_id, Post, post_id)).either_way
        ):
            raise NotFound(POST_BLOCKED)
        raise NotFound(POST_MISSING)
    return found[post_id]
