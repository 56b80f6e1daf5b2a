"""Server-side sessions kept in Postgres, so log-ins survive a Redis outage and can be revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from domain.accounts.tables import Session, User
from domain.accounts.users import mark_signed_in
from domain.core.settings import get_settings
from domain.core.sql import fetch, sql


def _digest(token: str) -> str:
    # Only a hash is stored: a leaked database dump does not hand out live sessions.
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(user: User, user_agent: str = "") -> str:
    """Open a session for the user; returns the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    await Session(
        token_hash=_digest(token),
        user=user.id,
        expires_at=datetime.now(UTC) + timedelta(days=get_settings().session_days),
        user_agent=user_agent[:255],
    ).save()
    await mark_signed_in(user.id)
    return token


# Every page asks this, so it is one hand-written statement rather than a built query: Piccolo
# spends longer composing the equivalent subquery than PostgreSQL spends answering it.
_LIVE_SESSION_USER = (
    'SELECT u.* FROM agora_user u JOIN user_session s ON s."user" = u.id'
    " WHERE s.token_hash = {token_hash} AND s.expires_at > now() AND NOT u.is_suspended"
)


async def user_for_session(token: str) -> User | None:
    """The user a live session token belongs to, or None if it is unknown or expired."""
    if not token:
        return None
    rows = await fetch(sql(_LIVE_SESSION_USER, token_hash=_digest(token)))
    return User(**rows[0], _exists_in_db=True) if rows else None


async def end_session(token: str) -> None:
    await Session.delete().where(Session.token_hash == _digest(token))


async def end_all_sessions(user_id: int) -> int:
    """Log the user out everywhere; returns how many sessions were ended."""
    ended = await Session.delete().where(Session.user == user_id).returning(Session.id)
    return len(ended)


async def delete_expired_sessions() -> int:
    expired = (
        await Session.delete().where(Session.expires_at <= datetime.now(UTC)).returning(Session.id)
    )
    return len(expired)


async def count_sessions(user_id: int) -> int:
    live: int = await Session.count().where(
        (Session.user == user_id) & (Session.expires_at > datetime.now(UTC))
    )
    return live
