"""Access tokens: issuing, verifying and revoking them, and the apps a member has authorized.

Access tokens are JWTs signed with a key derived from SECRET_KEY (HS256) carrying the issuer,
the subject (the user id, or the client id for an app-only token), the scopes, the expiry and
a token id (`jti`). The signature lets a forged or expired token be refused without touching
the database; the `jti` must also name a live row of `oauth_access_token`, so that revoking a
token takes effect at once even though it is still correctly signed.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from domain import accounts
from domain.accounts import User
from domain.core.settings import get_settings
from domain.core.sql import fetch, sql
from domain.oauth.errors import InvalidToken
from domain.oauth.scopes import format_scopes
from domain.oauth.tables import AccessToken, AuthorizationCode, OAuthApp

ISSUER = "agora"
JWT_ALGORITHM = "HS256"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: frozenset[str]
    created_at: datetime
    expires_in: int  # seconds


@dataclass(frozen=True)
class TokenGrant:
    """What a verified bearer token stands for."""

    jti: str
    app_id: int
    user: User | None
    scopes: frozenset[str]


def _signing_key() -> bytes:
    # A key of its own, derived from SECRET_KEY, so JWTs and CSRF tokens never share a key.
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, b"agora oauth access token v1", hashlib.sha256).digest()


def token_lifetime() -> timedelta:
    """API tokens last as long as a browser log-in (SESSION_DAYS)."""
    return timedelta(days=get_settings().session_days)


async def issue_token(app: OAuthApp, user: User | None, scopes: frozenset[str]) -> IssuedToken:
    now = datetime.now(UTC).replace(microsecond=0)
    lifetime = token_lifetime()
    jti = uuid.uuid4().hex
    await AccessToken(
        jti=jti,
        app=app.id,
        user=user.id if user else None,
        scopes=format_scopes(scopes),
        created_at=now,
        expires_at=now + lifetime,
    ).save()
    if user is not None:
        await accounts.mark_signed_in(user.id)
    claims = {
        "iss": ISSUER,
        "sub": str(user.id) if user else f"app:{app.client_id}",
        "client_id": app.client_id,
        "scope": format_scopes(scopes),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": jti,
    }
    token = jwt.encode(claims, _signing_key(), algorithm=JWT_ALGORITHM)
    return IssuedToken(token, scopes, now, int(lifetime.total_seconds()))


def _claims(token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _signing_key(),
            algorithms=[JWT_ALGORITHM],
            issuer=ISSUER,
            options={"require": ["iss", "sub", "exp", "jti", "scope"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken("The access token is invalid.") from error
    return claims


async def verify_token(token: str) -> TokenGrant:
    """Check a bearer token's signature, expiry and revocation; InvalidToken if any fails."""
    claims = _claims(token)
    row = (
        await AccessToken.select(AccessToken.app, AccessToken.user, AccessToken.scopes)
        .where(
            (AccessToken.jti == str(claims["jti"]))
            & AccessToken.revoked_at.is_null()
            & (AccessToken.expires_at > datetime.now(UTC))
        )
        .first()
    )
    if row is None:
        raise InvalidToken("The access token was revoked.")
    user: User | None = None
    if row["user"] is not None:
        if claims["sub"] != str(row["user"]):
            raise InvalidToken("The access token is invalid.")
        user = await User.objects().where(User.id == row["user"]).first()
        if user is None or user.is_suspended:
            raise InvalidToken("The account behind this token is not available.")
    # The row's scopes are authoritative; they were copied into the JWT at issue time.
    return TokenGrant(str(claims["jti"]), row["app"], user, frozenset(row["scopes"].split()))


async def revoke_token(app: OAuthApp, token: str) -> None:
    """Revoke one of the app's tokens (RFC 7009: unknown or foreign tokens are ignored)."""
    try:
        jti = str(_claims(token)["jti"])
    except InvalidToken:
        return
    await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)}).where(
        (AccessToken.jti == jti) & (AccessToken.app == app.id) & AccessToken.revoked_at.is_null()
    )


async def app_for(app_id: int) -> OAuthApp | None:
    app: OAuthApp | None = await OAuthApp.objects().where(OAuthApp.id == app_id).first()
    return app


async def delete_expired_grants() -> int:
    """Forget codes and token ids past their expiry (for a periodic job); returns how many.

    An expired token is refused by its `exp` claim anyway; its row only served revocation.
    """
    now = datetime.now(UTC)
    codes = (
        await AuthorizationCode.delete()
        .where(AuthorizationCode.expires_at <= now)
        .returning(AuthorizationCode.id)
    )
    tokens = (
        await AccessToken.delete().where(AccessToken.expires_at <= now).returning(AccessToken.id)
    )
    return len(codes) + len(tokens)


@dataclass(frozen=True)
class AuthorizedApp:
    """An app holding live tokens for a user, as the user's settings list it."""

    app_id: int
    name: str
    website: str | None
    scopes: frozenset[str]
    last_authorized: datetime


async def authorized_apps(user_id: int) -> list[AuthorizedApp]:
    """The apps that can act for the user now, most recently authorized first."""
    rows = await fetch(
        sql(
            "SELECT a.id, a.name, a.website, string_agg(t.scopes, ' ') AS scopes,"
            " max(t.created_at) AS last_authorized"
            " FROM oauth_access_token t JOIN oauth_app a ON a.id = t.app"
            ' WHERE t."user" = {user_id} AND t.revoked_at IS NULL AND t.expires_at > now()'
            " GROUP BY a.id ORDER BY last_authorized DESC, a.id DESC",
            user_id=user_id,
        )
    )
    return [
        AuthorizedApp(
            row["id"],
            row["name"],
            row["website"],
            frozenset(row["scopes"].split()),
            row["last_authorized"],
        )
        for row in rows
    ]


async def revoke_app_access(user_id: int, app_id: int) -> int:
    """Revoke every token the app holds for the user; returns how many."""
    revoked = (
        await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)})
        .where(
            (AccessToken.user == user_id)
            & (AccessToken.app == app_id)
            & AccessToken.revoked_at.is_null()
        )
        .returning(AccessToken.id)
    )
    return len(revoked)


async def revoke_all_tokens(user_id: int) -> int:
    """Revoke every token any app holds for the user and forget their unexchanged codes, for
    good: a later reinstatement or new log-in brings none back. Returns how many tokens."""
    await AuthorizationCode.delete().where(AuthorizationCode.user == user_id)
    revoked = (
        await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)})
        .where((AccessToken.user == user_id) & AccessToken.revoked_at.is_null())
        .returning(AccessToken.id)
    )
    return len(revoked)
