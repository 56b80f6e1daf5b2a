"""Members: the username and display-name rules, sign-up, authentication and look-ups."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.querystring import QueryString

from domain.accounts import passwords
from domain.accounts.tables import User
from domain.core.errors import Conflict, NotFound, ValidationFailed
from domain.core.sql import fetch, sql
from domain.core.text import control_character_problem

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_]{1,30}")
MAX_DISPLAY_NAME_LENGTH = 50
MAX_BIO_LENGTH = 300
# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI). The
# marks (LRM, RLM, ALM) stay allowed: they only nudge neutral characters and names in
# Arabic or Hebrew need them; pages isolate every name anyway (<bdi>).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
USERNAME_TAKEN = "That username is taken; choose another."


def username_problem(username: str) -> str | None:
    if not username:
        return "Enter a username."
    if len(username) > 30:
        return "Username must be at most 30 characters."
    if not USERNAME_PATTERN.fullmatch(username):
        return "Username may only contain the letters a to z, digits and underscores."
    return None


def display_name_problem(display_name: str) -> str | None:
    """What is wrong with a display name, if anything: too long, or holding a bidirectional
    embedding, override or isolate control (BIDI_CONTROLS), which could make the @handle
    shown after the name read as someone else's."""
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        return f"Display name must be at most {MAX_DISPLAY_NAME_LENGTH} characters."
    if BIDI_CONTROLS.search(display_name):
        return (
            "Display name cannot contain right-to-left or left-to-right override, embedding"
            " or isolate characters (U+202A to U+202E, U+2066 to U+2069)."
        )
    return control_character_problem(display_name, "Display name")


def _username_matches(username: str) -> QueryString:
    return sql("lower(username) = lower({username})", username=username)


async def find_user(username: str) -> User | None:
    """The account with this username, ignoring case."""
    if username_problem(username):
        return None
    user: User | None = await User.objects().where(_username_matches(username)).first()
    return user


async def username_taken(username: str) -> bool:
    return bool(await User.exists().where(_username_matches(username)))


async def sign_up(username: str, display_name: str, password: str) -> User:
    """Create an account; raises ValidationFailed (or Conflict for a taken name)."""
    username = username.strip()
    display_name = display_name.strip() or username
    errors = {
        field: problem
        for field, problem in (
            ("username", username_problem(username)),
            ("display_name", display_name_problem(display_name)),
            ("password", passwords.password_problem(password)),
        )
        if problem
    }
    if "username" not in errors and await username_taken(username):
        errors["username"] = USERNAME_TAKEN
    if errors:
        # 409 only when the name clash is the sole problem; any other mistake is a 422.
        raise (
            Conflict(errors) if errors == {"username": USERNAME_TAKEN} else ValidationFailed(errors)
        )
    password_hash = await asyncio.to_thread(passwords.hash_password, password)
    user = User(username=username, display_name=display_name, password_hash=password_hash)
    try:
        await user.save()
    except UniqueViolationError as error:  # lost a race with a simultaneous sign-up
        raise Conflict({"username": USERNAME_TAKEN}) from error
    return user


async def authenticate(username: str, password: str) -> User | None:
    """The user if the password is right, else None, in similar time either way."""
    user = await find_user(username.strip())
    if user is None or len(password) > passwords.MAX_PASSWORD_LENGTH:
        await asyncio.to_thread(passwords.spend_verification_time, password)
        return None
    if not await asyncio.to_thread(passwords.verify_password, user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(passwords.hash_password, password)
        await user.save([User.password_hash])
    return user


def public_fields(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name}


async def get_profile(username: str) -> User:
    """The account shown at /@username; suspended accounts are hidden like missing ones."""
    user = await find_user(username)
    if user is None or user.is_suspended:
        raise NotFound("There is no account with that name.")
    return user


async def users_by_ids(user_ids: list[int]) -> dict[int, User]:
    """The visible (not suspended) accounts among these ids, keyed by id."""
    if not user_ids:
        return {}
    users: list[User] = await User.objects().where(
        User.id.is_in(list(set(user_ids))) & User.is_suspended.eq(False)
    )
    return {user.id: user for user in users}


async def users_by_usernames(usernames: list[str]) -> dict[str, User]:
    """The visible accounts with these usernames (any case), keyed by lower-cased username."""
    if not usernames:
        return {}
    lowered = list({name.lower() for name in usernames})
    users: list[User] = (
        await User.objects()
        .where(sql("lower(username) = ANY({names})", names=lowered))
        .where(User.is_suspended.eq(False))
    )
    return {user.username.lower(): user for user in users}


async def visible_user(user_id: int) -> User | None:
    """The account, unless it does not exist or is suspended."""
    return (await users_by_ids([user_id])).get(user_id)


async def last_post_times(user_ids: list[int]) -> dict[int, Any]:
    """When each account last posted (Mastodon's `last_status_at`), keyed by account id."""
    if not user_ids:
        return {}
    rows = await fetch(
        sql(
            "SELECT author, max(created_at) AS last FROM post"
            " WHERE author = ANY({user_ids}) GROUP BY author",
            user_ids=list(set(user_ids)),
        )
    )
    return {row["author"]: row["last"] for row in rows}


@dataclass(frozen=True)
class Usage:
    """The server's usage as NodeInfo counts it: accounts (suspended ones left out), those
    that signed in within the last 30 and 180 days, and posts."""

    total: int
    active_month: int
    active_halfyear: int
    local_posts: int


_USAGE = (
    "SELECT count(*) AS total,"
    " count(*) FILTER (WHERE last_active_at > now() - interval '30 days') AS active_month,"
    " count(*) FILTER (WHERE last_active_at > now() - interval '180 days') AS active_halfyear,"
    " (SELECT count(*) FROM post) AS local_posts"
    " FROM agora_user WHERE NOT is_suspended"
)


async def usage() -> Usage:
    """One statement over the accounts (a sequential scan: NodeInfo is read rarely)."""
    row = (await fetch(sql(_USAGE)))[0]
    return Usage(**{name: int(row[name]) for name in Usage.__dataclass_fields__})


async def mark_signed_in(user_id: int) -> None:
    """Record a sign-in (a web log-in or an API token issued) as the account's last activity,
    which `usage` counts."""
    await User.update({User.last_active_at: datetime.now(UTC)}).where(User.id == user_id)


async def instance_counts() -> tuple[int, int]:
    """(accounts, posts) for the instance entity's statistics; suspended accounts left out."""
    rows = await fetch(
        sql(
            "SELECT (SELECT count(*) FROM agora_user WHERE NOT is_suspended) AS users,"
            " (SELECT count(*) FROM post) AS posts"
        )
    )
    return int(rows[0]["users"]), int(rows[0]["posts"])
