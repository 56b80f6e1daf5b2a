"""Blocking: a member cuts another off, and the rules that hold while a block exists.

While either of two members blocks the other, neither can follow the other, nor like,
bookmark or answer the other's posts and comments, and neither sees the other's posts
(domain.feeds) or comments (domain.posts.comments); a mention across a block notifies nobody
(domain.notifications). Blocking removes the follows in both directions through `unfollow`,
so counters, outbox jobs and home timelines change exactly as they do for an unfollow.
Nobody is told that they were blocked.
"""

from __future__ import annotations

from domain.accounts import User
from domain.core.errors import NotFound, ValidationFailed
from domain.core.sql import fetch, sql
from domain.social.follows import USER_MISSING, unfollow
from domain.social.people import AccountPage, accounts_page
from domain.social.tables import Block

SELF_BLOCK = "You cannot block yourself."


async def _other_member(actor: User, other_id: int) -> User:
    if other_id == actor.id:
        raise ValidationFailed({"block": SELF_BLOCK})
    other: User | None = await User.objects().where(User.id == other_id).first()
    if other is None:
        raise NotFound(USER_MISSING)
    return other


async def check_blockable(actor: User, other_id: int) -> None:
    """What `block` checks first, for pages that ask before blocking."""
    await _other_member(actor, other_id)


async def block(blocker: User, blocked_id: int) -> None:
    """Block an account (a no-op if already blocked), ending the follows between the two."""
    blocked = await _other_member(blocker, blocked_id)
    # Not one transaction: each unfollow commits before it drops the timeline, so the
    # rebuild reads the follows as they are afterwards. The block goes in first, so a
    # follow attempted meanwhile is refused; running `block` again finishes a failed one.
    await fetch(
        sql(
            "INSERT INTO block (blocker, blocked) VALUES ({blocker}, {blocked})"
            " ON CONFLICT DO NOTHING",
            blocker=blocker.id,
            blocked=blocked.id,
        )
    )
    await unfollow(blocker, blocked.id)
    await unfollow(blocked, blocker.id)


async def unblock(blocker: User, blocked_id: int) -> None:
    """Lift a block (a no-op if there is none); follows that it ended stay ended."""
    blocked = await _other_member(blocker, blocked_id)
    await Block.delete().where((Block.blocker == blocker.id) & (Block.blocked == blocked.id))


async def blocked_accounts(
    user_id: int, limit: int = 40, before_id: int | None = None
) -> AccountPage:
    """Whom the user has blocked, most recent first (paged like the follow lists)."""
    return await accounts_page("blocked", user_id, limit, before_id, user_id)
