"""Following: one row per pair, the two counters changed in the same statement, and the
follower's home timeline dropped so that the next visit rebuilds it.

Each change is a single SQL statement whose CTE inserts (or deletes) the pair row and whose
outer UPDATE moves the counters by the number of rows that really changed, so a repeated
follow counts once. Nobody follows across a block (domain.social.blocks), in either
direction: the statement checks too, so a block made after the friendly check still holds.
"""

from __future__ import annotations

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import timelines
from domain.accounts import User
from domain.core import outbox, redis_guard
from domain.core.errors import NotFound, ValidationFailed
from domain.core.sql import fetch, sql
from domain.social import block_filters
from domain.social.people import AccountPage, accounts_page

USER_MISSING = "That account does not exist."

_FOLLOW = """
WITH changed AS (
    INSERT INTO follow (follower, followed) SELECT {follower}, {followed} WHERE {unblocked}
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE agora_user SET
    following_count = following_count + CASE WHEN id = {follower}
                                             THEN (SELECT count(*) FROM changed) ELSE 0 END,
    followers_count = followers_count + CASE WHEN id = {followed}
                                             THEN (SELECT count(*) FROM changed) ELSE 0 END
WHERE id IN ({follower}, {followed}) RETURNING id
"""
_UNFOLLOW = """
WITH changed AS (
    DELETE FROM follow WHERE follower = {follower} AND followed = {followed} RETURNING 1
)
UPDATE agora_user SET
    following_count = GREATEST(following_count - CASE WHEN id = {follower}
                                 THEN (SELECT count(*) FROM changed) ELSE 0 END, 0),
    followers_count = GREATEST(followers_count - CASE WHEN id = {followed}
                                 THEN (SELECT count(*) FROM changed) ELSE 0 END, 0)
WHERE id IN ({follower}, {followed}) RETURNING id
"""


async def _change_follow(
    statement: QueryString, follower: User, followed_id: int, notify: bool = False
) -> None:
    """Run the follow or unfollow statement with its jobs, then drop the follower's
    timeline (after the commit, so that the rebuild reads the new follows)."""
    try:
        async with outbox.transaction():
            rows = await fetch(statement)
            if len(rows) < 2:
                raise NotFound(USER_MISSING)
            # Should dropping the timeline below fail (Redis down), the job does it later.
            await outbox.record(
                outbox.Job.REFRESH_TIMELINE, user_id=follower.id, changed_ms=timelines.now_ms()
            )
            if notify:  # a repeated follow makes no second notification (unique index)
                await outbox.record(
                    outbox.Job.NOTIFY, kind="follow", actor_id=follower.id, user_id=followed_id
                )
    except ForeignKeyViolationError as error:
        raise NotFound(USER_MISSING) from error
    # The follower's home changes now: drop their timeline so the next visit rebuilds it.
    if guard := redis_guard.active():
        await timelines.forget(guard, follower.id)


def _not_self(follower: User, followed_id: int) -> None:
    if followed_id == follower.id:
        raise ValidationFailed({"follow": "You cannot follow yourself."})


async def follow(follower: User, followed_id: int) -> None:
    """Follow an account (a no-op if already following); notifies the account once.

    Raises ValidationFailed for oneself, NotFound for a missing account and Forbidden
    across a block."""
    _not_self(follower, followed_id)
    await block_filters.refuse_if_blocked(follower.id, followed_id, "follow it")
    statement = sql(
        _FOLLOW,
        follower=follower.id,
        followed=followed_id,
        unblocked=block_filters.unblocked(follower.id, followed_id),
    )
    await _change_follow(statement, follower, followed_id, notify=True)


async def unfollow(follower: User, followed_id: int) -> None:
    """Stop following an account (a no-op if not following); NotFound if it is missing."""
    _not_self(follower, followed_id)
    await _change_follow(
        sql(_UNFOLLOW, follower=follower.id, followed=followed_id), follower, followed_id
    )


async def followers_of(
    user_id: int, limit: int = 40, before_id: int | None = None, viewer_id: int | None = None
) -> AccountPage:
    """Who follows the user, most recent first, with how the viewer stands with each."""
    return await accounts_page("followers", user_id, limit, before_id, viewer_id)


async def followed_by(
    user_id: int, limit: int = 40, before_id: int | None = None, viewer_id: int | None = None
) -> AccountPage:
    """Whom the user follows, most recent first, with how the viewer stands with each."""
    return await accounts_page("following", user_id, limit, before_id, viewer_id)
