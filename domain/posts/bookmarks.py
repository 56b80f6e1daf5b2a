"""Bookmarks: a member's private list of posts to come back to. None across a block."""

from __future__ import annotations

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import social
from domain.accounts import User
from domain.core.errors import NotFound
from domain.core.sql import fetch, sql
from domain.posts.tables import POST_MISSING, Bookmark, Post

_BOOKMARK = (
    'INSERT INTO bookmark ("user", post) SELECT {user_id}, p.id FROM post p'
    " WHERE p.id = {post_id} AND {unblocked} ON CONFLICT DO NOTHING"
)


async def _require_post(post_id: int) -> None:
    if not await Post.exists().where(Post.id == post_id):
        raise NotFound(POST_MISSING)


async def bookmark(user: User, post_id: int) -> None:
    """Bookmark a post (a no-op if already); NotFound for a missing post, Forbidden across
    a block."""
    await _require_post(post_id)
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
    """Remove a bookmark (a no-op if there is none); NotFound for a missing post."""
    await _require_post(post_id)
    await Bookmark.delete().where((Bookmark.user == user.id) & (Bookmark.post == post_id))
