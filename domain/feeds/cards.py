"""Post cards: everything a post card shows, including the viewer's own state, read in one
statement per page so that a page costs the same however full it is.

Suspended authors' posts are left out everywhere, and with a viewer so are the posts of
anyone the viewer blocks or is blocked by (domain.social), so every feed, search result and
post card hides them alike. So are the posts the viewer may not see (the one rule of
domain.core.visibility): a card is never read, and so never served, for anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.querystring import QueryString

from domain import posts, social
from domain.core.errors import NotFound
from domain.core.sql import NOTHING, fetch, sql
from domain.core.visibility import Visibility, visible_to
from domain.posts import POST_MISSING, render_html

POST_BLOCKED = "That post is not available to you: you or its author has blocked the other."


@dataclass(frozen=True)
class PostCard:
    """Everything a post card shows, including the viewer's own state."""

    id: int
    text: str
    image: str | None
    image_alt: str
    sensitive: bool
    language: str | None
    visibility: Visibility
    # The focal point set on the upload the image came from (API clients crop around it).
    image_focus: tuple[float, float] | None
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


# The rows aliased `p` come from `posts` (a table or a subquery), joined with `joins`, kept
# where `condition` holds; `sort_time` and `sort_id` are what a page is ordered by.
_CARDS = """
SELECT p.id, p.text, p.image, p.image_alt, p.sensitive, p.language, p.visibility,
       p.created_at, p.edited_at,
       (SELECT ARRAY[m.focus_x, m.focus_y] FROM media_upload m
        WHERE m.post = p.id AND m.focus_x IS NOT NULL) AS image_focus,
       p.like_count, p.comment_count,
       u.id AS author_id, u.username, u.display_name, u.avatar,
       EXISTS (SELECT 1 FROM post_like l WHERE l.post = p.id AND l."user" = {viewer}) AS liked,
       EXISTS (SELECT 1 FROM bookmark b WHERE b.post = p.id AND b."user" = {viewer}) AS bookmarked,
       {sort_time} AS sort_time, {sort_id} AS sort_id
FROM post p JOIN agora_user u ON u.id = p.author {joins}
WHERE NOT u.is_suspended AND ({condition}) AND {visible} {unblocked}
"""

POST_TIME = QueryString("p.created_at")
POST_ID = QueryString("p.id")


def cards_query(
    viewer_id: int | None,
    condition: QueryString,
    joins: QueryString = NOTHING,
    sort_time: QueryString = POST_TIME,
    sort_id: QueryString = POST_ID,
) -> QueryString:
    """The statement reading the cards of the posts where `condition` holds that the viewer
    may see (domain.core.visibility, then blocks), as the viewer sees them."""
    return sql(
        _CARDS,
        viewer=viewer_id,
        sort_time=sort_time,
        sort_id=sort_id,
        joins=joins,
        condition=condition,
        visible=visible_to(viewer_id),
        unblocked=social.outside_viewer_blocks(viewer_id, QueryString("p.author")),
    )


def card_from_row(row: dict[str, Any]) -> PostCard:
    return PostCard(
        id=row["id"],
        text=row["text"],
        image=row["image"],
        image_alt=row["image_alt"],
        sensitive=row["sensitive"],
        language=row["language"],
        visibility=row["visibility"],
        image_focus=tuple(row["image_focus"]) if row["image_focus"] else None,
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


async def cards_where(condition: QueryString, viewer_id: int | None) -> dict[int, PostCard]:
    """Cards for the posts where `condition` (on post `p`) holds, keyed by id; hidden posts
    are left out."""
    rows = await fetch(cards_query(viewer_id, condition))
    return {row["id"]: card_from_row(row) for row in rows}


async def cards_by_ids(post_ids: list[int], viewer_id: int | None) -> dict[int, PostCard]:
    """Cards for the given posts, keyed by id; missing or hidden posts are left out."""
    if not post_ids:
        return {}
    return await cards_where(sql("p.id = ANY({ids})", ids=post_ids), viewer_id)


async def visible_where(condition: QueryString, viewer_id: int | None) -> dict[int, int]:
    """The ids of the posts where `condition` holds that the viewer may see (those
    cards_where would return), each keyed by itself, without reading the cards."""
    # PostgreSQL flattens the subquery, so the card columns not selected are never computed.
    rows = await fetch(sql("SELECT c.id FROM ({cards}) c", cards=cards_query(viewer_id, condition)))
    return {row["id"]: row["id"] for row in rows}


async def card(post_id: int, viewer_id: int | None) -> PostCard:
    """One post's card; NotFound if it does not exist, its author is suspended, the viewer
    may not see it (the same answer as for a missing post), or a block stands between its
    author and the viewer."""
    found = await cards_by_ids([post_id], viewer_id)
    if post_id not in found:
        # Only a miss pays for telling a block apart from a missing post, and only a post
        # the viewer may otherwise see is said to be blocked: of any other, not even that
        # it exists is told.
        if (
            viewer_id is not None
            and (await social.state_with_author(viewer_id, "post", post_id)).either_way
            and await posts.may_see(viewer_id, post_id)
        ):
            raise NotFound(POST_BLOCKED)
        raise NotFound(POST_MISSING)
    return found[post_id]
