"""Following: one row per pair, the two counters changed in the same statement, and the
follower's home timeline dropped so that the next visit rebuilds it.

Each change is a single SQL statement whose CTE inserts (or deletes) the pair row and whose
outer UPDATE moves the counters by the number of rows that really changed, so a repeated
follow counts once. Nobody follows across a block (domain.social.blocks), in either
direction: the statement checks too, so a block made after the friendly check still holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import timelines
from domain.accounts import User
from domain.core import outbox, redis_guard
from domain.core.errors import NotFound, ValidationFailed
from domain.core.sql import fetch, sql
from domain.social import block_filters

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


@dataclass(frozen=True)
class AccountSummary:
    id: int
    username: str
    display_name: str
    avatar: str | None
    bio: str


@dataclass(frozen=True)
class AccountPage:
    accounts: list[AccountSummary]
    next_before: int | None  # pass back as `before_id` for the next page; None at the end


# Who is on the other side of each pair list, newest pair first, keyset-paged by the pair's id.
ACCOUNT_LISTS = {
    "followers": "SELECT id AS pair_id, follower AS member FROM follow WHERE followed = {user}",
    "following": "SELECT id AS pair_id, followed AS member FROM follow WHERE follower = {user}",
    "blocked": "SELECT id AS pair_id, blocked AS member FROM block WHERE blocker = {user}",
}
_ACCOUNT_PAGE = """
SELECT u.id, u.username, u.display_name, u.avatar, u.bio, pairs.pair_id
FROM ({pairs}) pairs JOIN agora_user u ON u.id = pairs.member
WHERE ({before}::int IS NULL OR pairs.pair_id < {before})
ORDER BY pairs.pair_id DESC LIMIT {limit}
"""


async def accounts_page(which: str, user_id: int, limit: int, before_id: int | None) -> AccountPage:
    """A page of one of the user's account lists (a key of ACCOUNT_LISTS), most recent first."""
    rows = await fetch(
        sql(
            _ACCOUNT_PAGE,
            pairs=sql(ACCOUNT_LISTS[which], user=user_id),
            before=before_id,
            limit=limit + 1,
        )
    )
    accounts = [
        AccountSummary(row["id"], row["username"], row["display_name"], row["avatar"], row["bio"])
        for row in rows[:limit]
    ]
    return AccountPage(accounts, rows[limit - 1]["pair_id"] if len(rows) > limit else None)


async def followers_of(user_id: int, limit: int = 40, before_id: int | None = None) -> AccountPage:
    """Who follows the user, most recent first."""
    return await accounts_page("followers", user_id, limit, before_id)


async def followed_by(user_id: int, limit: int = 40, before_id: int | None = None) -> AccountPage:
    """Whom the user follows, most recent first."""
    return await accounts_page("following", user_id, limit, before_id)


_FAMILIAR = """
SELECT theirs.followed AS account, theirs.follower AS familiar
FROM follow mine JOIN follow theirs ON theirs.follower = mine.followed
WHERE mine.follower = {viewer} AND theirs.followed = ANY({account_ids})
ORDER BY theirs.created_at DESC, theirs.id DESC
"""


async def familiar_followers(viewer_id: int, account_ids: list[int]) -> dict[int, list[int]]:
    """For each account, the ids of its followers whom the viewer follows, most recent
    follow first (Mastodon's familiar followers); an account with none maps to []."""
    found: dict[int, list[int]] = {account_id: [] for account_id in account_ids}
    rows = await fetch(sql(_FAMILIAR, viewer=viewer_id, account_ids=account_ids))
    for row in rows:
        found[row["account"]].append(row["familiar"])
    return found
