"""Moderation: who may suspend whom, and who may hand out roles.

Moderators and admins suspend and reinstate members; only admins change roles or act on
moderators; nobody acts on an admin but another admin, and nobody on themselves. A
suspended account is logged out everywhere and hidden: its profile, posts and comments
disappear from every page and API answer until it is reinstated. Its sessions and API
tokens end for good: reinstatement does not revive them, the member logs in again.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.querystring import QueryString

from domain import accounts, oauth
from domain.accounts import ROLES, User
from domain.core.errors import Forbidden, NotFound, ValidationFailed
from domain.core.sql import like_prefix, sql

RANK = {role: rank for rank, role in enumerate(ROLES)}
PAGE_SIZE = 50


def may_moderate(actor: User, target_username: str, target_role: str) -> bool:
    """Admins may act on anyone else; moderators on members only; nobody on themselves."""
    if actor.username.lower() == target_username.lower():
        return False
    if actor.is_admin:
        return True
    return RANK.get(actor.role, 0) > RANK.get(target_role, 0)


def _require(actor: User, target: User) -> None:
    if actor.id == target.id:
        raise Forbidden("You cannot moderate your own account.")
    if not may_moderate(actor, target.username, target.role):
        raise Forbidden("Your role does not allow acting on that account.")


async def find_target(username: str) -> User:
    """The account to act on; NotFound for an unknown username."""
    target = await accounts.find_user(username)
    if target is None:
        raise NotFound("There is no account with that name.")
    return target


async def suspend(actor: User, username: str) -> User:
    """Suspend a member: hidden until reinstated, and every session and API token (and
    unexchanged authorization code) ended for good. Forbidden when the actor's role does not
    allow it, NotFound for an unknown username."""
    target = await _set_suspended(actor, username, True)
    await accounts.end_all_sessions(target.id)
    await oauth.revoke_all_tokens(target.id)
    return target


async def reinstate(actor: User, username: str) -> User:
    """Lift a suspension (the same permissions as `suspend`)."""
    return await _set_suspended(actor, username, False)


async def _set_suspended(actor: User, username: str, suspended: bool) -> User:
    target = await find_target(username)
    _require(actor, target)
    target.is_suspended = suspended
    await target.save([User.is_suspended])
    return target


async def set_role(actor: User, username: str, role: str) -> User:
    """Give a member a role; admins only (Forbidden), ValidationFailed for an unknown role."""
    if not actor.is_admin:
        raise Forbidden("Only admins can change roles.")
    if role not in ROLES:
        raise ValidationFailed({"role": f"Role must be one of {', '.join(ROLES)}."})
    target = await find_target(username)
    _require(actor, target)
    target.role = role
    await target.save([User.role])
    return target


@dataclass(frozen=True)
class AccountRow:
    username: str
    display_name: str
    avatar: str | None  # the stored image's URL, None for the placeholder
    role: str
    is_suspended: bool


async def find_accounts(prefix: str = "", after: str = "") -> list[AccountRow]:
    """Accounts whose username starts with `prefix` (any case), alphabetically, a page at a time
    (`after` is the last username of the previous page)."""
    rows = (
        await User.select(
            User.username, User.display_name, User.avatar, User.role, User.is_suspended
        )
        .where(sql("lower(username) LIKE {prefix}", prefix=like_prefix(prefix.lower())))
        .where(sql("lower(username) > {after}", after=after.lower()))
        .order_by(QueryString("lower(username)"))
        .limit(PAGE_SIZE)
    )
    return [AccountRow(**row) for row in rows]
