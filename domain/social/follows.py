"""Following: one row per pair, the two counters changed in the same statement, and the
follower's home timeline dropped so that the next visit rebuilds it. Following a locked
account makes a follow request instead (its own table, domain.social.follow_requests), in
the same statement, so no request is ever counted or read as a follow.

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
REQUEST_MISSING = "That account has not asked to follow you."

# One statement for following, and for accepting a follow request (which follows the same
# way). `pair` locks both members' rows, which the counters change anyway, first and in the
# order of their ids, so that two follows between the same two people cannot deadlock. A
# change of the followed member's `locked` flag thus waits for this transaction, and this
# statement for that change, so a follow of a locked account always becomes a request, and
# unlocking (which then accepts the waiting requests) misses none. `request` makes the
# request (following) or takes it away (accepting); `follows_now` says whether the pair row
# goes in. The counters move by the rows that really changed, so a repeated follow counts
# once.
_FOLLOW = """
WITH pair AS (
    SELECT id, locked FROM agora_user WHERE id IN ({follower}, {followed})
    ORDER BY id FOR NO KEY UPDATE
),
target AS (SELECT id, locked FROM pair WHERE id = {followed}),
request AS ({request}),
changed AS (
    INSERT INTO follow (follower, followed)
    SELECT {follower}, target.id FROM target WHERE {follows_now} AND {unblocked}
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE agora_user SET
    following_count = following_count + CASE WHEN id = {follower}
                                             THEN (SELECT count(*) FROM changed) ELSE 0 END,
    followers_count = followers_count + CASE WHEN id = {followed}
                                             THEN (SELECT count(*) FROM changed) ELSE 0 END
WHERE id IN ({follower}, {followed})
RETURNING id, (SELECT locked FROM target) AS locked, (SELECT count(*) FROM request) AS requests
"""
# Following a locked account asks instead, unless one follows it already.
_ASK = """
INSERT INTO follow_request (follower, followed)
SELECT {follower}, target.id FROM target
WHERE target.locked AND {unblocked}
  AND NOT EXISTS (SELECT 1 FROM follow WHERE follower = {follower} AND followed = {followed})
ON CONFLICT DO NOTHING RETURNING 1
"""
# Accepting takes the request away, unless a block stands between the two: then nothing is
# accepted, and the block's own unfollows remove the request.
_TAKE_REQUEST = """
DELETE FROM follow_request WHERE follower = {follower} AND followed = {followed} AND {unblocked}
RETURNING 1
"""
# Unfollowing also withdraws a request still waiting, as in Mastodon. It returns the columns
# the follow statement returns, for `_change_follow`.
_UNFOLLOW = """
WITH withdrawn AS (
    DELETE FROM follow_request WHERE follower = {follower} AND followed = {followed}
),
changed AS (
    DELETE FROM follow WHERE follower = {follower} AND followed = {followed} RETURNING 1
)
UPDATE agora_user SET
    following_count = GREATEST(following_count - CASE WHEN id = {follower}
                                 THEN (SELECT count(*) FROM changed) ELSE 0 END, 0),
    followers_count = GREATEST(followers_count - CASE WHEN id = {followed}
                                 THEN (SELECT count(*) FROM changed) ELSE 0 END, 0)
WHERE id IN ({follower}, {followed}) RETURNING id, FALSE AS locked, 0 AS requests
"""


async def _change_follow(
    statement: QueryString,
    follower_id: int,
    followed_id: int,
    *,
    notify: bool = False,
    accepting: bool = False,
) -> None:
    """Run a follow, unfollow or accepting statement with its jobs, then drop the follower's
    timeline (after the commit, so that the rebuild reads the new follows). A follow of a
    locked account that made a request notifies its owner of it and changes no timeline.

    Raises NotFound for a missing account and, when `accepting`, for a request that is not
    there (nothing changes then)."""
    try:
        async with outbox.transaction():
            rows = await fetch(statement)
            if len(rows) < 2:
                raise NotFound(USER_MISSING)
            locked, requests = rows[0]["locked"], rows[0]["requests"]
            if accepting and not requests:
                raise NotFound(REQUEST_MISSING)
            if locked and not accepting:
                if requests:  # a new request, not a repeated one
                    await outbox.record(
                        outbox.Job.NOTIFY,
                        kind="follow_request",
                        actor_id=follower_id,
                        user_id=followed_id,
                    )
                return
            # Should dropping the timeline below fail (Redis down), the job does it later.
            await outbox.record(
                outbox.Job.REFRESH_TIMELINE, user_id=follower_id, changed_ms=timelines.now_ms()
            )
            if notify:  # a repeated follow makes no second notification (unique index)
                await outbox.record(
                    outbox.Job.NOTIFY, kind="follow", actor_id=follower_id, user_id=followed_id
                )
    except ForeignKeyViolationError as error:
        raise NotFound(USER_MISSING) from error
    # The follower's home changes now: drop their timeline so the next visit rebuilds it.
    if guard := redis_guard.active():
        await timelines.forget(guard, follower_id)


def _not_self(follower: User, followed_id: int) -> None:
    if followed_id == follower.id:
        raise ValidationFailed({"follow": "You cannot follow yourself."})


def _follow_statement(
    follower_id: int, followed_id: int, request: str, follows_now: QueryString
) -> QueryString:
    """The follow statement with its `request` part (a template over the pair and
    `unblocked`) and its `follows_now` condition."""
    pair = {"follower": follower_id, "followed": followed_id}
    unblocked = block_filters.unblocked(follower_id, followed_id)
    return sql(
        _FOLLOW,
        **pair,
        request=sql(request, **pair, unblocked=unblocked),
        follows_now=follows_now,
        unblocked=unblocked,
    )


async def follow(follower: User, followed_id: int) -> None:
    """Follow an account (a no-op if already following); notifies the account once. A locked
    account is asked instead (domain.social.follow_requests); asking again is a no-op too.

    Raises ValidationFailed for oneself, NotFound for a missing account and Forbidden
    across a block."""
    _not_self(follower, followed_id)
    await block_filters.refuse_if_blocked(follower.id, followed_id, "follow it")
    statement = _follow_statement(follower.id, followed_id, _ASK, QueryString("NOT target.locked"))
    await _change_follow(statement, follower.id, followed_id, notify=True)


async def follow_on_request(requester_id: int, owner_id: int) -> None:
    """Accept the requester's waiting request to follow the owner: the request goes and the
    follow is made exactly as `follow` makes one (counters, the requester's home timeline, a
    `follow` notification). Raises NotFound(REQUEST_MISSING) when no request waits, and
    makes no follow across a block."""
    statement = _follow_statement(
        requester_id, owner_id, _TAKE_REQUEST, QueryString("EXISTS (SELECT 1 FROM request)")
    )
    await _change_follow(statement, requester_id, owner_id, notify=True, accepting=True)


async def unfollow(follower: User, followed_id: int) -> None:
    """Stop following an account, or withdraw a request to follow it (a no-op if neither);
    NotFound if it is missing."""
    _not_self(follower, followed_id)
    await _change_follow(
        sql(_UNFOLLOW, follower=follower.id, followed=followed_id), follower.id, followed_id
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
