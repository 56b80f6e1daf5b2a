"""Who is calling the API: the bearer token, its scopes, and the per-caller rate limit.

The API never looks at the session cookie: /api/ is exempt from CSRF checks (clients send
no CSRF token), so honouring a cookie there would let any web page act for a logged-in
visitor. Only an `Authorization: Bearer <JWT>` header identifies the caller.

Each route declares what it needs (see `needs` and `public_access`); one guard on the
API router checks the token, applies the rate limit, then the route's scopes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers import BaseRouteHandler
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from domain import oauth
from domain.accounts import User
from web.api.openapi import SECURITY_SCHEME, Field, operation_class
from web.rate_limit import RateLimiter

GRANT_KEY = "oauth_grant"
QUOTA_KEY = "api_quota"
OPT_KEY = "oauth"

# Mastodon's default: 300 requests per 5 minutes per account (or per IP without a token).
REQUESTS_PER_WINDOW = 300
WINDOW_SECONDS = 300


@dataclass(frozen=True)
class Policy:
    """What a route needs: any one of `scopes` (none: callable without a token) and whether
    the token must act for a user (an app-only client_credentials token will not do)."""

    scopes: tuple[str, ...] = ()
    user: bool = False


def public_access(body: tuple[Field, ...] = ()) -> dict[str, Any]:
    """Route-decorator arguments for a method anyone may call; a token, if sent, must be
    valid, and tells whose favourites and bookmarks to flag."""
    return {
        "opt": {OPT_KEY: Policy()},
        "security": [{}, {SECURITY_SCHEME: []}],
        "operation_class": operation_class(body),
    }


def needs(*scopes: str, user: bool = True, body: tuple[Field, ...] = ()) -> dict[str, Any]:
    """Route-decorator arguments for a method that needs a token with one of `scopes`."""
    return {
        "opt": {OPT_KEY: Policy(scopes=scopes, user=user)},
        "security": [{SECURITY_SCHEME: list(scopes)}],
        "operation_class": operation_class(body, errors=("401", "403", "404", "422", "429")),
    }


class UserRequired(PermissionDeniedException):
    """Mastodon answers 422 when an app-only token calls a method that needs a user."""

    status_code = HTTP_422_UNPROCESSABLE_ENTITY


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset_at: int  # epoch seconds

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, UTC).isoformat(timespec="milliseconds")
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
        }


def _client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


async def _take_quota(connection: ASGIConnection[Any, Any, Any, Any], caller: str) -> Quota:
    limiter: RateLimiter = connection.app.state["rate_limiter"]
    now = int(time.time())
    window = now // WINDOW_SECONDS
    # The shared limiter's counter: Redis, or per-process memory while Redis is away.
    count = await limiter._increment(f"ratelimit:api:{caller}:{window}", WINDOW_SECONDS)
    quota = Quota(REQUESTS_PER_WINDOW, REQUESTS_PER_WINDOW - count, (window + 1) * WINDOW_SECONDS)
    if count > REQUESTS_PER_WINDOW:
        raise TooManyRequestsException(
            "Too many requests",
            headers={**quota.headers(), "Retry-After": str(quota.reset_at - now)},
        )
    return quota


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("The access token is invalid")
    return token.strip()


async def api_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    policy: Policy = handler.opt.get(OPT_KEY, Policy())
    grant: oauth.TokenGrant | None = None
    token = _bearer_token(connection)
    if token is not None:
        try:
            grant = await oauth.verify_token(token)
        except oauth.InvalidToken as error:
            raise NotAuthorizedException(str(error)) from error
    caller = f"user:{grant.user.id}" if grant and grant.user else f"ip:{_client_ip(connection)}"
    connection.state[QUOTA_KEY] = await _take_quota(connection, caller)
    connection.state[GRANT_KEY] = grant
    if not policy.scopes:
        return
    if grant is None:
        raise NotAuthorizedException("The access token is invalid")
    if not oauth.allows(grant.scopes, policy.scopes):
        raise PermissionDeniedException("This action is outside the authorized scopes")
    if policy.user and grant.user is None:
        raise UserRequired("This method requires an authenticated user")


def quota_headers_middleware(app: ASGIApp) -> ASGIApp:
    """Adds X-RateLimit-* to every API response, errors included, once the guard has counted."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_quota(message: Message) -> None:
            quota = scope.get("state", {}).get(QUOTA_KEY)
            if message["type"] == "http.response.start" and quota is not None:
                headers = MutableScopeHeaders.from_message(message)
                for name, value in quota.headers().items():
                    headers.setdefault(name, value)
            await send(message)

        await app(scope, receive, send_with_quota)

    return middleware


def token_grant(request: Request[Any, Any, Any]) -> oauth.TokenGrant | None:
    grant: oauth.TokenGrant | None = request.state.get(GRANT_KEY)
    return grant


def viewer(request: Request[Any, Any, Any]) -> User | None:
    """The user the token acts for, or None (no token, or an app-only token)."""
    grant = token_grant(request)
    return grant.user if grant else None


def me(request: Request[Any, Any, Any]) -> User:
    """The token's user, on routes whose policy guarantees there is one."""
    user = viewer(request)
    if user is None:  # only if a route forgot `needs(...)`: fail closed
        raise NotAuthorizedException("The access token is invalid")
    return user
