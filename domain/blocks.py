"""Blocking: a member cuts another off, and the rules that hold while a block exists.

While either of two members blocks the other, neither can follow the other, nor like,
bookmark or answer the other's posts and comments, and neither sees the other's posts
(domain.feeds) or comments (domain.comments); a mention across a block notifies nobody
(domain.notifications). Blocking removes the follows in both directions through
`social.unfollow`, so counters, outbox jobs and home timelines change exactly as they do
for an unfollow. Nobody is told that they were blocked.
"""

from __future__ import annotations

from domain import social
from domain.errors import NotFound, ValidationFailed
from domain.tables import Block, User

SELF_BLOCK = "You cannot block yourself."


async def _other_member(actor: User, other_id: int) -> User:
    if other_id == actor.id:
        raise ValidationFailed({"block": SELF_BLOCK})
    other: User | None = await User.objects().where(User.id == other_id).first()
    if other is None:
        raise NotFound(social.USER_MISSING)
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
    await Block.raw(
        "INSERT INTO block (blocker, blocked) VALUES ({}, {}) ON CONFLICT DO NOTHING",
        blocker.id,
        blocked.id,
    )
    await social.unfollow(blocker, blocked.id)
    await social.unfollow(blocked, blocker.id)


async def unblock(blocker: User, blocked_id: int) -> None:
    """Lift a block (a no-op if there is none); follows that it ended stay ended."""
    blocked = await _other_member(blocker, blocked_id)
    await Block.delete().where((Block.blocker == blocker.id) & (Block.blocked == blocked.id))


async def blocked_accounts(
    user_id: int, limit: int = 40, before_id: int | None = None
) -> social.AccountPage:
    """Whom the user has blocked, most recent first (paged like the follow lists)."""
    return await social.accounts_page("block", "blocked", "blocker", user_id, limit, before_id)
