"""The grants that issue tokens: authorization code (with PKCE), password and client
credentials (RFC 6749 sections 4.1, 4.3 and 4.4, RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import accounts
from domain.accounts import User
from domain.oauth.clients import (
    find_app,
    require_within,
    secret_digest,
)
from domain.oauth.errors import OAuthError
from domain.oauth.scopes import format_scopes, parse_scopes
from domain.oauth.tables import AuthorizationCode, OAuthApp
from domain.oauth.tokens import IssuedToken, issue_token

CODE_LIFETIME = timedelta(minutes=10)
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43,128}")


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked request for the consent page: which app wants what, and where to answer."""

    app: OAuthApp
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    code_challenge: str | None


class UnsafeAuthorizationRequest(OAuthError):
    """The client or redirect URI is wrong: tell the user, never redirect anywhere (RFC 6749
    4.1.2.1), or the consent page would become an open redirector."""


async def check_client(client_id: str, redirect_uri: str) -> tuple[OAuthApp, str]:
    """The app and the redirect URI to answer at; UnsafeAuthorizationRequest if either is
    wrong. An omitted redirect URI means the app's only one."""
    app = await find_app(client_id)
    if app is None:
        raise UnsafeAuthorizationRequest("invalid_client", "This app is not registered here.")
    registered = app.redirect_uris.split("\n")
    if not redirect_uri and len(registered) == 1:
        redirect_uri = registered[0]
    if redirect_uri not in registered:
        raise UnsafeAuthorizationRequest(
            "invalid_request", "The redirect URI does not match any the app registered."
        )
    return app, redirect_uri


def check_authorization_request(
    app: OAuthApp,
    redirect_uri: str,
    *,
    response_type: str,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationRequest:
    """Validate the rest of /oauth/authorize's parameters once the client is known good;
    an OAuthError here may be reported to the client at its redirect URI."""
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
    scopes = parse_scopes(scope)
    require_within(scopes, app)
    if code_challenge_method and not code_challenge:
        raise OAuthError("invalid_request", "code_challenge_method needs a code_challenge.")
    if code_challenge:
        if (code_challenge_method or "plain") != "S256":
            raise OAuthError("invalid_request", "Only the S256 code challenge method is supported.")
        if not PKCE_CHALLENGE.fullmatch(code_challenge):
            raise OAuthError("invalid_request", "The code challenge is malformed.")
    return AuthorizationRequest(app, redirect_uri, scopes, state or None, code_challenge or None)


async def issue_code(user: User, request: AuthorizationRequest) -> str:
    """The user consented: a one-time code for the app to exchange at /oauth/token."""
    code = secrets.token_urlsafe(32)
    await AuthorizationCode(
        code_hash=secret_digest(code),
        app=request.app.id,
        user=user.id,
        redirect_uri=request.redirect_uri,
        scopes=format_scopes(request.scopes),
        code_challenge=request.code_challenge,
        expires_at=datetime.now(UTC) + CODE_LIFETIME,
    ).save()
    return code


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(computed, challenge)


async def exchange_code(
    app: OAuthApp, code: str, redirect_uri: str, code_verifier: str | None
) -> IssuedToken:
    """Trade an authorization code for a token; a code works once, for its app, briefly."""
    # Deleting while reading makes the code single-use even under concurrent exchanges.
    rows: list[dict[str, Any]] = (
        await AuthorizationCode.delete()
        .where(AuthorizationCode.code_hash == secret_digest(code or ""))
        .returning(
            AuthorizationCode.app,
            AuthorizationCode.user,
            AuthorizationCode.redirect_uri,
            AuthorizationCode.scopes,
            AuthorizationCode.code_challenge,
            AuthorizationCode.expires_at,
        )
    )
    invalid = OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
    if not rows:
        raise invalid
    grant = rows[0]
    if grant["app"] != app.id or grant["expires_at"] <= datetime.now(UTC):
        raise invalid
    if (redirect_uri or grant["redirect_uri"]) != grant["redirect_uri"]:
        raise OAuthError("invalid_grant", "The redirect URI differs from the authorization's.")
    if grant["code_challenge"]:
        if not code_verifier or not PKCE_VERIFIER.fullmatch(code_verifier):
            raise OAuthError("invalid_grant", "A valid code_verifier is required (PKCE).")
        if not _pkce_matches(code_verifier, grant["code_challenge"]):
            raise OAuthError("invalid_grant", "The code_verifier does not match the challenge.")
    user = await User.objects().where(User.id == grant["user"]).first()
    if user is None or user.is_suspended:
        raise invalid
    return await issue_token(app, user, parse_scopes(grant["scopes"]))


async def password_grant(
    app: OAuthApp, username: str, password: str, scope: str | None
) -> IssuedToken:
    """Resource-owner password grant (what `toot login_cli` and older Mastodon.py use)."""
    scopes = parse_scopes(scope)
    require_within(scopes, app)
    user = await accounts.authenticate(username or "", password or "")
    if user is None or user.is_suspended:
        raise OAuthError("invalid_grant", "Wrong username or password.")
    return await issue_token(app, user, scopes)


async def client_credentials_grant(app: OAuthApp, scope: str | None) -> IssuedToken:
    """A token for the app itself: it can read public data but acts for no user."""
    scopes = parse_scopes(scope)
    require_within(scopes, app)
    return await issue_token(app, None, scopes)
