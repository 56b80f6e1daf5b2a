"""Feeds as the Mastodon-compatible API pages them: by `max_id`, `since_id` and `min_id`
(domain.core.paging). These select only the ids of a page; the posts themselves come from
`cards_by_ids`, which owns the row-to-card mapping and the viewer's liked/bookmarked flags.
Bookmarks and favourites are keyed on the bookmark or like row (the order they were made in),
as Mastodon does, not on the post."""

from __future__ import annotations

from functools import partial

from piccolo.querystring import QueryString

from domain import timelines
from domain.core.paging import IdRange, KeyedItem, KeyedPage, KeyedSource, keyed_page
from domain.core.sql import NOTHING, TRUE, sql
from domain.core.visibility import LISTED, visible_to
from domain.feeds.cards import visible_where
from domain.feeds.home import fill_home
from domain.feeds.tags import has_tag

_WITH_IMAGE = QueryString("p.image IS NOT NULL")


def _posts(
    viewer_id: int | None,
    condition: QueryString,
    joins: QueryString = NOTHING,
    key: str = "p.id",
) -> KeyedSource:
    # Suspended authors' posts, and those the viewer may not see, are hidden everywhere, as
    # in domain.feeds.cards (which also leaves out blocks when the page's cards are read).
    return KeyedSource(
        key=QueryString(key),
        item=QueryString("p.id"),
        rows=sql(
            "FROM post p JOIN agora_user u ON u.id = p.author {joins}"
            " WHERE NOT u.is_suspended AND ({condition}) AND {visible}",
            joins=joins,
            condition=condition,
            visible=visible_to(viewer_id),
        ),
    )


async def home_ids(viewer_id: int, window: IdRange) -> KeyedPage:
    """The viewer's posts and those of the accounts they follow that the viewer may see,
    newest first. A page going back from `max_id` (or the newest) is filled as the home page
    is (domain.feeds.home: the Redis timeline, then PostgreSQL), so it is full whenever
    older visible posts exist; `since_id` and `min_id` read the home query in PostgreSQL."""
    limit = window.bounded_limit
    if window.since_id is None and window.min_id is None:
        ids = await fill_home(
            viewer_id, window.max_id, limit + 1, partial(visible_where, viewer_id=viewer_id)
        )
        items = [KeyedItem(post_id, post_id) for post_id in ids[:limit]]
        return KeyedPage(items, has_older=len(ids) > limit)
    return await timelines.home_post_ids(viewer_id, window, limit)


async def public_ids(viewer_id: int | None, window: IdRange, only_media: bool = False) -> KeyedPage:
    """Everyone's public posts (unlisted ones stay out of listings), or only those with an
    image."""
    condition = sql(
        "{listed} AND {media}", listed=LISTED, media=_WITH_IMAGE if only_media else TRUE
    )
    return await keyed_page(_posts(viewer_id, condition), window)


async def account_post_ids(
    author_id: int, viewer_id: int | None, window: IdRange, only_media: bool = False
) -> KeyedPage:
    """The author's posts that the viewer may see, or only those with an image."""
    condition = sql(
        "p.author = {author} AND {media}",
        author=author_id,
        media=_WITH_IMAGE if only_media else TRUE,
    )
    return await keyed_page(_posts(viewer_id, condition), window)


async def tag_ids(tag: str, viewer_id: int | None, window: IdRange) -> KeyedPage:
    """Public posts carrying #tag; `tag` must already be normalized (posts.normalize_tag)."""
    condition = sql("{tag} AND {listed}", tag=has_tag(tag), listed=LISTED)
    return await keyed_page(_posts(viewer_id, condition), window)


async def bookmark_ids(viewer_id: int, window: IdRange) -> KeyedPage:
    """The viewer's bookmarked posts, most recently bookmarked first."""
    source = _posts(
        viewer_id,
        sql('b."user" = {viewer}', viewer=viewer_id),
        QueryString("JOIN bookmark b ON b.post = p.id"),
        "b.id",
    )
    return await keyed_page(source, window)


async def favourite_ids(viewer_id: int, window: IdRange) -> KeyedPage:
    """The posts the viewer liked, most recently liked first."""
    source = _posts(
        viewer_id,
        sql('l."user" = {viewer}', viewer=viewer_id),
        QueryString("JOIN post_like l ON l.post = p.id"),
        "l.id",
    )
    return await keyed_page(source, window)
