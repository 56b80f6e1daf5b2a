"""Bookmarks: a member's private list of posts to come back to. None across a block, and none
of a post its member may not see (domain.core.visibility), which is missing to them."""

from __future__ import annotations

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import social
from domain.accounts import User
from domain.core.errors import NotFound
from domain.core.sql import fetch, sql
from domain.posts.tables import POST_MISSING, Bookmark
from domain.posts.visibility import refuse_if_hidden

_BOOKMARK = (
    'INSERT INTO bookmark ("user", post) SELECT {user_id}, p.id FROM post p'
    " WHERE p.id = {post_id} AND {unblocked} ON CONFLICT DO NOTHING"
)


async def bookmark(user: User, post_id: int) -> None:
    """Bookmark a post (a no-op if already); NotFound for a missing post or one the user may
    not see, Forbidden across a block."""
    await refuse_if_hidden(user.id, post_id)
    await social.refuse_if_blocked_by_author(user.id, "post", post_id, "bookmark their posts")
    statement = sql(
        _BOOKMARK,
        user_id=user.id,
        post_id=post_id,
        unblocked=social.unblocked(user.id, QueryString("p.author")),
    )
    try:
        await fetch(statement)
    except ForeignKeyViolationError as error:  # deleted since the check
        raise NotFound(POST_MISSING) from error


async def unbookmark(user: User, post_id: int) -> None:
    """Remove a bookmark (a no-op if there is none); NotFound for a missing post or one the
    user may not see."""
    await refuse_if_hidden(user.id, post_id)
    await Bookmark.delete().where((Bookmark.user == user.id) & (Bookmark.post == post_id))
