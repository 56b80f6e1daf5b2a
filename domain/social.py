"""Likes, bookmarks and follows: one row per pair, counters changed in the same statement.

None of them is allowed across a block (domain.blocks), in either direction.

Each change is a single SQL statement whose CTE inserts (or deletes) the pair row and
whose outer UPDATE moves the counter by the number of rows that really changed, so a
double-submitted like counts once and simultaneous likes from many users all count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asyncpg.exceptions import ForeignKeyViolationError

from domain import block_checks, outbox, pairs, redis_guard, timelines
from domain.errors import NotFound, ValidationFailed
from domain.posts import POST_MISSING
from domain.tables import Bookmark, Follow, Post, User

USER_MISSING = "That account does not exist."

# The likes, bookmarks and follows that a block forbids are refused with a reason before
# these statements run (block_checks); the statements also check, so that a block made
# between that check and the write cannot be crossed.
_LIKE = (
    """
WITH changed AS (
    INSERT INTO post_like ("user", post) SELECT {}, p.id FROM post p
    WHERE p.id = {} AND """
    + block_checks.unblocked("{}", "p.author")
    + """
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE post SET like_count = like_count + (SELECT count(*) FROM changed)
WHERE id = {} RETURNING like_count, author, (SELECT count(*) FROM changed) AS added
"""
)
_BOOKMARK = (
    'INSERT INTO bookmark ("user", post) SELECT {}, p.id FROM post p WHERE p.id = {} AND '
    + block_checks.unblocked("{}", "p.author")
    + " ON CONFLICT DO NOTHING"
)
_UNLIKE = """
WITH changed AS (
    DELETE FROM post_like WHERE "user" = {} AND post = {} RETURNING 1
)
UPDATE post SET like_count = GREATEST(like_count - (SELECT count(*) FROM changed), 0)
WHERE id = {} RETURNING like_count
"""
_FOLLOW = (
    """
WITH changed AS (
    INSERT INTO follow (follower, followed) SELECT {}, {} WHERE """
    + block_checks.unblocked("{}", "{}")
    + """
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE agora_user SET
    following_count = following_count + CASE WHEN id = {} THEN (SELECT count(*) FROM changed)
                                             ELSE 0 END,
    followers_count = followers_count + CASE WHEN id = {} THEN (SELECT count(*) FROM changed)
                                             ELSE 0 END
WHERE id IN ({}, {}) RETURNING id
"""
)
_UNFOLLOW = """
WITH changed AS (
    DELETE FROM follow WHERE follower = {} AND followed = {} RETURNING 1
)
UPDATE agora_user SET
    following_count = GREATEST(following_count - CASE WHEN id = {}
                                 THEN (SELECT count(*) FROM changed) ELSE 0 END, 0),
    followers_count = GREATEST(followers_count - CASE WHEN id = {}
                                 THEN (SELECT count(*) FROM changed) ELSE 0 END, 0)
WHERE id IN ({}, {}) RETURNING id
"""


async def _change_like(sql: str, *params: int) -> dict[str, Any]:
    try:
        rows: list[dict[str, Any]] = await Post.raw(sql, *params)
    except ForeignKeyViolationError as error:
        raise NotFound(POST_MISSING) from error
    if not rows:
        raise NotFound(POST_MISSING)
    return rows[0]


async def like(user: User, post_id: int) -> int:
    """Like a post (a no-op if already liked); returns the post's like count."""
    await block_checks.refuse_if_blocked_by_author(user.id, Post, post_id, "like their posts")
    async with outbox.transaction():
        row = await _change_like(_LIKE, user.id, post_id, user.id, user.id, post_id)
        # Only a new like of someone else's post notifies (the job checks both again).
        if row["added"] and row["author"] != user.id:
            await outbox.record("notify", kind="like", actor_id=user.id, post_id=post_id)
    return int(row["like_count"])


async def unlike(user: User, post_id: int) -> int:
    """Take back a like (a no-op if not liked); returns the post's like count."""
    return int((await _change_like(_UNLIKE, user.id, post_id, post_id))["like_count"])


async def _require_post(post_id: int) -> None:
    if not await Post.exists().where(Post.id == post_id):
        raise NotFound(POST_MISSING)


async def bookmark(user: User, post_id: int) -> None:
    await _require_post(post_id)
    await block_checks.refuse_if_blocked_by_author(user.id, Post, post_id, "bookmark their posts")
    try:
        await Bookmark.raw(_BOOKMARK, user.id, post_id, user.id, user.id)
    except ForeignKeyViolationError as error:  # deleted since the check
        raise NotFound(POST_MISSING) from error


async def unbookmark(user: User, post_id: int) -> None:
    await _require_post(post_id)
    await Bookmark.delete().where((Bookmark.user == user.id) & (Bookmark.post == post_id))


async def _change_follow(
    sql: str, follower: User, followed_id: int, guarded: bool = False, notify: bool = False
) -> None:
    if followed_id == follower.id:
        raise ValidationFailed({"follow": "You cannot follow yourself."})
    try:
        async with outbox.transaction():
            pair = (follower.id, followed_id)
            # A guarded statement checks the pair against blocks both ways first.
            block_check = (*pair, followed_id, follower.id) if guarded else ()
            rows = await Follow.raw(sql, *pair, *block_check, *pair, *pair)
            if len(rows) < 2:
                raise NotFound(USER_MISSING)
            # Should dropping the timeline below fail (Redis down), the job does it later.
            await outbox.record(
                "refresh_timeline", user_id=follower.id, changed_ms=timelines.now_ms()
            )
            if notify:  # a repeated follow makes no second notification (unique index)
                await outbox.record(
                    "notify", kind="follow", actor_id=follower.id, user_id=followed_id
                )
    except ForeignKeyViolationError as error:
        raise NotFound(USER_MISSING) from error
    # The follower's home changes now: drop their timeline so the next visit rebuilds it.
    if guard := redis_guard.active():
        await timelines.forget(guard, follower.id)


async def follow(follower: User, followed_id: int) -> None:
    """Follow an account (a no-op if already following)."""
    await block_checks.refuse_if_blocked(follower.id, followed_id, "follow it")
    await _change_follow(_FOLLOW, follower, followed_id, guarded=True, notify=True)


async def unfollow(follower: User, followed_id: int) -> None:
    await _change_follow(_UNFOLLOW, follower, followed_id)


@dataclass(frozen=True)
class Relationship:
    following: bool
    followed_by: bool
    blocking: bool
    blocked_by: bool


async def relationships(viewer_id: int, other_ids: list[int]) -> dict[int, Relationship]:
    """How the viewer and each of the other accounts follow (and block) one another."""
    following, followed_by = await pairs.both_ways(
        "follow", "follower", "followed", viewer_id, other_ids
    )
    blocked = await block_checks.among(viewer_id, other_ids)
    return {
        other: Relationship(
            following=other in following,
            followed_by=other in followed_by,
            blocking=blocked[other].blocking,
            blocked_by=blocked[other].blocked_by,
        )
        for other in other_ids
    }


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


async def accounts_page(
    table: str,
    user_column: str,
    match_column: str,
    user_id: int,
    limit: int,
    before_id: int | None,
) -> AccountPage:
    """The accounts in `user_column` of the pair `table` (follow, block) whose
    `match_column` is the user, newest pair first, keyset-paged by the pair's id."""
    rows: list[dict[str, Any]] = await User.raw(
        "SELECT u.id, u.username, u.display_name, u.avatar, u.bio, f.id AS pair_id"
        f" FROM {table} f JOIN agora_user u ON u.id = f.{user_column}"
        f" WHERE f.{match_column} = {{}} AND ({{}}::int IS NULL OR f.id < {{}})"
        " ORDER BY f.id DESC LIMIT {}",
        user_id,
        before_id,
        before_id,
        limit + 1,
    )
    accounts = [
        AccountSummary(row["id"], row["username"], row["display_name"], row["avatar"], row["bio"])
        for row in rows[:limit]
    ]
    return AccountPage(accounts, rows[limit - 1]["pair_id"] if len(rows) > limit else None)


async def followers_of(user_id: int, limit: int = 40, before_id: int | None = None) -> AccountPage:
    """Who follows the user, most recent first."""
    return await accounts_page("follow", "follower", "followed", user_id, limit, before_id)


async def followed_by(user_id: int, limit: int = 40, before_id: int | None = None) -> AccountPage:
    """Whom the user follows, most recent first."""
    return await accounts_page("follow", "followed", "follower", user_id, limit, before_id)
