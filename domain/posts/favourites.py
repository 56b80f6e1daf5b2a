"""Favourites (shown as likes): one row per member and post, the post's counter changed in the
same statement, so a double-submitted like counts once and simultaneous likes all count.
Nobody likes across a block (domain.social); the statement checks too, so a block made after
the friendly check still holds. A post its actor may not see is missing to them
(domain.core.visibility): liking it, or taking a like back, is NotFound."""

from __future__ import annotations

from typing import Any

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import social
from domain.accounts import User
from domain.core import outbox
from domain.core.errors import NotFound
from domain.core.paging import IdRange, KeyedPage, KeyedSource, keyed_page
from domain.core.sql import fetch, sql
from domain.posts.tables import POST_MISSING
from domain.posts.visibility import refuse_if_hidden

_FAVOURITE = """
WITH changed AS (
    INSERT INTO post_like ("user", post) SELECT {user_id}, p.id FROM post p
    WHERE p.id = {post_id} AND {unblocked}
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE post SET like_count = like_count + (SELECT count(*) FROM changed)
WHERE id = {post_id} RETURNING like_count, author, (SELECT count(*) FROM changed) AS added
"""
_UNFAVOURITE = """
WITH changed AS (
    DELETE FROM post_like WHERE "user" = {user_id} AND post = {post_id} RETURNING 1
)
UPDATE post SET like_count = GREATEST(like_count - (SELECT count(*) FROM changed), 0)
WHERE id = {post_id} RETURNING like_count
"""


async def _change(statement: QueryString) -> dict[str, Any]:
    try:
        rows = await fetch(statement)
    except ForeignKeyViolationError as error:
        raise NotFound(POST_MISSING) from error
    if not rows:
        raise NotFound(POST_MISSING)
    return rows[0]


async def favourite(user: User, post_id: int) -> int:
    """Like a post (a no-op if already liked); returns the post's like count. NotFound for
    a missing post or one the user may not see, Forbidden across a block."""
    await refuse_if_hidden(user.id, post_id)
    await social.refuse_if_blocked_by_author(user.id, "post", post_id, "like their posts")
    statement = sql(
        _FAVOURITE,
        user_id=user.id,
        post_id=post_id,
        unblocked=social.unblocked(user.id, QueryString("p.author")),
    )
    async with outbox.transaction():
        row = await _change(statement)
        # Only a new like of someone else's post notifies (the job checks both again).
        if row["added"] and row["author"] != user.id:
            await outbox.record(outbox.Job.NOTIFY, kind="like", actor_id=user.id, post_id=post_id)
    return int(row["like_count"])


async def unfavourite(user: User, post_id: int) -> int:
    """Take back a like (a no-op if not liked); returns the post's like count. NotFound for
    a missing post or one the user may not see."""
    await refuse_if_hidden(user.id, post_id)
    return int((await _change(sql(_UNFAVOURITE, user_id=user.id, post_id=post_id)))["like_count"])


async def favourited_by_ids(post_id: int, window: IdRange) -> KeyedPage:
    """Who liked the post, most recent like first; keyed on the like."""
    source = KeyedSource(
        key=QueryString("l.id"),
        item=QueryString("u.id"),
        rows=sql(
            'FROM post_like l JOIN agora_user u ON u.id = l."user"'
            " WHERE l.post = {post_id} AND NOT u.is_suspended",
            post_id=post_id,
        ),
    )
    return await keyed_page(source, window)
