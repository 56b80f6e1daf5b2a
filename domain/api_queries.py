"""Id-keyed paging for the Mastodon-compatible API.

Mastodon clients page with `max_id`, `since_id` and `min_id`, which name items rather than
(time, id) cursors, so these queries select only the ids of a page; the posts themselves
come from `domain.feeds.cards_by_ids`, which owns the row-to-card mapping and the viewer's
liked/bookmarked flags. Bookmarks and favourites are keyed on the bookmark or like row (the
order they were made in), as Mastodon does, not on the post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from domain import block_checks, redis_guard, timelines
from domain.tables import Post, User
from domain.text import like_prefix

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


@dataclass(frozen=True)
class IdRange:
    """Which slice of a newest-first list to return (Mastodon's paging parameters)."""

    max_id: int | None = None  # strictly older than this
    since_id: int | None = None  # strictly newer than this, newest first
    min_id: int | None = None  # strictly newer than this, the ones right after it
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class KeyedItem:
    key: int  # what the list is ordered and paged by
    item_id: int  # the post (or account) at that place


@dataclass(frozen=True)
class KeyedPage:
    items: list[KeyedItem]  # newest first
    has_older: bool  # whether a next (older) page exists


@dataclass(frozen=True)
class _Source:
    select: str  # "<key expression> AS key, <item expression> AS item_id"
    from_joins: str
    condition: str
    params: tuple[Any, ...]
    key: str


_POSTS = "FROM post p JOIN agora_user u ON u.id = p.author"


def _posts(condition: str, params: tuple[Any, ...], joins: str = "", key: str = "p.id") -> _Source:
    # Suspended authors' posts are hidden everywhere, as in domain.feeds.
    return _Source(
        select=f"{key} AS key, p.id AS item_id",
        from_joins=f"{_POSTS} {joins}",
        condition=f"NOT u.is_suspended AND ({condition})",
        params=params,
        key=key,
    )


async def _page(source: _Source, window: IdRange) -> KeyedPage:
    limit = max(1, min(window.limit, MAX_LIMIT))
    sql = f"SELECT {source.select} {source.from_joins} WHERE {source.condition}"
    params: list[Any] = list(source.params)
    for bound, operator in ((window.max_id, "<"), (window.since_id, ">"), (window.min_id, ">")):
        if bound is not None:
            sql += f" AND {source.key} {operator} {{}}"
            params.append(bound)
    # min_id asks for the items just after it, so walk upwards from it, then flip.
    ascending = window.min_id is not None
    sql += f" ORDER BY {source.key} {'ASC' if ascending else 'DESC'} LIMIT {{}}"
    rows: list[dict[str, Any]] = await Post.raw(sql, *params, limit + 1)
    return _keyed_page(rows, limit, ascending)


def _keyed_page(rows: list[dict[str, Any]], limit: int, ascending: bool) -> KeyedPage:
    items = [KeyedItem(row["key"], row["item_id"]) for row in rows[:limit]]
    if ascending:
        items.reverse()
        return KeyedPage(items, has_older=bool(items))
    return KeyedPage(items, has_older=len(rows) > limit)


async def home_ids(viewer_id: int, window: IdRange) -> KeyedPage:
    """The viewer's posts and those of the accounts they follow, newest first: from the
    viewer's Redis home timeline, as the home page reads it, when it can answer (a page going
    back from `max_id`, or the newest); otherwise from PostgreSQL."""
    limit = max(1, min(window.limit, MAX_LIMIT))
    guard = redis_guard.active()
    if guard is not None and window.since_id is None and window.min_id is None:
        ids = await timelines.page_ids(guard, viewer_id, window.max_id, None, limit + 1)
        if ids is not None:
            items = [KeyedItem(post_id, post_id) for post_id in ids[:limit]]
            return KeyedPage(items, has_older=len(ids) > limit)
    return await _home_ids_from_postgres(viewer_id, window, limit)


async def _home_ids_from_postgres(viewer_id: int, window: IdRange, limit: int) -> KeyedPage:
    """A page from each followed author by the (author, id) index, then the page from those,
    so the cost does not grow with the number of posts (filtering one walk over all posts by
    author would)."""
    ascending = window.min_id is not None
    direction = "ASC" if ascending else "DESC"
    bounds: list[str] = []
    params: list[Any] = []
    for bound, operator in ((window.max_id, "<"), (window.since_id, ">"), (window.min_id, ">")):
        if bound is not None:
            bounds.append(f" AND q.id {operator} {{}}")
            params.append(bound)
    rows: list[dict[str, Any]] = await Post.raw(
        "SELECT p.id AS key, p.id AS item_id FROM ("
        " SELECT followed AS author FROM follow WHERE follower = {}"
        " UNION ALL SELECT {}::integer) authors"
        " CROSS JOIN LATERAL (SELECT q.id, q.author FROM post q"
        f" WHERE q.author = authors.author{''.join(bounds)}"
        f" ORDER BY q.id {direction} LIMIT {{}}) p"
        " JOIN agora_user u ON u.id = p.author WHERE NOT u.is_suspended"
        f" ORDER BY p.id {direction} LIMIT {{}}",
        viewer_id,
        viewer_id,
        *params,
        limit + 1,
        limit + 1,
    )
    return _keyed_page(rows, limit, ascending)


_WITH_IMAGE = "p.image IS NOT NULL"


async def public_ids(window: IdRange, only_media: bool = False) -> KeyedPage:
    """Everyone's posts, or only those with an image."""
    return await _page(_posts(_WITH_IMAGE if only_media else "TRUE", ()), window)


async def account_post_ids(author_id: int, window: IdRange, only_media: bool = False) -> KeyedPage:
    """The author's posts, or only those with an image."""
    condition = "p.author = {}" + (f" AND {_WITH_IMAGE}" if only_media else "")
    return await _page(_posts(condition, (author_id,)), window)


def _tag_pattern(tag: str) -> str:
    # The same tag boundaries as domain.feeds.tag_feed, in Postgres's regex dialect.
    return f"(^|[^[:alnum:]_#&/])#{tag}([^[:alnum:]_]|$)"


# The full-text index (see the migrations) narrows the candidates; the pattern then checks
# that the word really is a #tag.
_HAS_TAG = "to_tsvector('simple', p.text) @@ plainto_tsquery('simple', {}) AND p.text ~* {}"


async def tag_ids(tag: str, window: IdRange) -> KeyedPage:
    """Posts carrying #tag; `tag` must already be normalized (domain.text.normalize_tag)."""
    return await _page(_posts(_HAS_TAG, (tag, _tag_pattern(tag))), window)


async def bookmark_ids(viewer_id: int, window: IdRange) -> KeyedPage:
    source = _posts('b."user" = {}', (viewer_id,), "JOIN bookmark b ON b.post = p.id", "b.id")
    return await _page(source, window)


async def favourite_ids(viewer_id: int, window: IdRange) -> KeyedPage:
    source = _posts('l."user" = {}', (viewer_id,), "JOIN post_like l ON l.post = p.id", "l.id")
    return await _page(source, window)


async def favourited_by_ids(post_id: int, window: IdRange) -> KeyedPage:
    """Who liked the post, most recent like first; keyed on the like."""
    source = _Source(
        select="l.id AS key, u.id AS item_id",
        from_joins='FROM post_like l JOIN agora_user u ON u.id = l."user"',
        condition="l.post = {} AND NOT u.is_suspended",
        params=(post_id,),
        key="l.id",
    )
    return await _page(source, window)


async def notification_ids(recipient_id: int, window: IdRange, kinds: list[str]) -> KeyedPage:
    """The recipient's notifications of these kinds, newest first; suspended actors' hidden."""
    source = _Source(
        select="n.id AS key, n.id AS item_id",
        from_joins="FROM notification n JOIN agora_user u ON u.id = n.actor",
        condition="n.recipient = {} AND n.kind = ANY({}) AND NOT u.is_suspended",
        params=(recipient_id, kinds),
        key="n.id",
    )
    return await _page(source, window)


async def users_by_ids(user_ids: list[int]) -> dict[int, User]:
    """The visible (not suspended) accounts among these ids, keyed by id."""
    if not user_ids:
        return {}
    users: list[User] = await User.objects().where(
        User.id.is_in(list(set(user_ids))) & User.is_suspended.eq(False)
    )
    return {user.id: user for user in users}


async def users_by_usernames(usernames: list[str]) -> dict[str, User]:
    """The visible accounts with these usernames (any case), keyed by lower-cased username."""
    if not usernames:
        return {}
    lowered = list({name.lower() for name in usernames})
    users: list[User] = (
        await User.objects()
        .where(QueryString("lower(username) = ANY({})", lowered))
        .where(User.is_suspended.eq(False))
    )
    return {user.username.lower(): user for user in users}


async def visible_user(user_id: int) -> User | None:
    return (await users_by_ids([user_id])).get(user_id)


async def last_post_times(user_ids: list[int]) -> dict[int, Any]:
    """When each account last posted (Mastodon's `last_status_at`)."""
    if not user_ids:
        return {}
    rows: list[dict[str, Any]] = await Post.raw(
        "SELECT author, max(created_at) AS last FROM post WHERE author = ANY({}) GROUP BY author",
        list(set(user_ids)),
    )
    return {row["author"]: row["last"] for row in rows}


async def instance_counts() -> tuple[int, int]:
    """(accounts, posts) for the instance entity's statistics."""
    rows: list[dict[str, Any]] = await Post.raw(
        "SELECT (SELECT count(*) FROM agora_user WHERE NOT is_suspended) AS users,"
        " (SELECT count(*) FROM post) AS posts"
    )
    return int(rows[0]["users"]), int(rows[0]["posts"])


# ---------------------------------------------------------------- search

SEARCH_MAX_OFFSET = 10_000


async def search_account_ids(
    query: str, limit: int, offset: int, viewer_id: int | None = None
) -> list[int]:
    """Accounts whose username starts with the query, or whose display name contains it;
    an exact username first, then the most followed. With a viewer, none across a block."""
    text = query.strip().removeprefix("@").split("@")[0]
    if not text:
        return []
    unblocked, unblocked_params = block_checks.outside_viewer_blocks(viewer_id, "id")
    rows: list[dict[str, Any]] = await User.raw(
        f"SELECT id FROM agora_user WHERE NOT is_suspended{unblocked}"
        " AND (lower(username) LIKE lower({}) OR display_name ILIKE '%' || {} || '%')"
        " ORDER BY lower(username) = lower({}) DESC, followers_count DESC, id"
        " LIMIT {} OFFSET {}",
        *unblocked_params,
        like_prefix(text),
        like_prefix(text)[:-1],
        text,
        limit,
        min(offset, SEARCH_MAX_OFFSET),
    )
    return [row["id"] for row in rows]


async def search_post_ids(
    query: str, limit: int, offset: int, viewer_id: int | None = None
) -> list[int]:
    """Posts containing every word of the query (full-text, 'simple'), newest first; with a
    viewer, none across a block (filtered here, so that a page is still full)."""
    unblocked, unblocked_params = block_checks.outside_viewer_blocks(viewer_id, "p.author")
    rows: list[dict[str, Any]] = await Post.raw(
        "SELECT p.id FROM post p JOIN agora_user u ON u.id = p.author"
        f" WHERE NOT u.is_suspended{unblocked}"
        " AND to_tsvector('simple', p.text) @@ plainto_tsquery('simple', {})"
        " ORDER BY p.id DESC LIMIT {} OFFSET {}",
        *unblocked_params,
        query,
        limit,
        min(offset, SEARCH_MAX_OFFSET),
    )
    return [row["id"] for row in rows]


async def tag_in_use(tag: str) -> bool:
    """Whether any visible post carries #tag (`tag` already normalized)."""
    rows: list[dict[str, Any]] = await Post.raw(
        "SELECT 1 FROM post p JOIN agora_user u ON u.id = p.author"
        f" WHERE NOT u.is_suspended AND {_HAS_TAG} LIMIT 1",
        tag,
        _tag_pattern(tag),
    )
    return bool(rows)
