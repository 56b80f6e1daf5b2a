"""Who is asking: the session cookie, the middleware that resolves it, the CSRF check bound to
it, and the login guard."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    ASGIMiddleware,
    AuthenticationResult,
)
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash, generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from domain import accounts
from domain.accounts import User
from domain.core.settings import Settings

SESSION_COOKIE = "agora_session"
CSRF_COOKIE = "agora_csrf"
# Paths whose callers authenticate otherwise (bearer tokens, client secrets), not by cookie.
CSRF_EXEMPT_PATHS = ["^/api/", "^/oauth/token", "^/oauth/revoke"]
# Paths that never need to know the user, so they work even while Postgres is down.
ANONYMOUS_PATHS = ["^/health/", "^/metrics", "^/static/"]


def cookie_name(name: str, settings: Settings) -> str:
    """Over https a cookie is `__Host-` prefixed: browsers then keep it only if it is Secure,
    for the whole site and the exact host, so a sibling subdomain or a plain-http answer
    cannot plant one."""
    return f"__Host-{name}" if settings.is_https else name


def _settings(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The session cookie's token, or "" without one."""
    return connection.cookies.get(cookie_name(SESSION_COOKIE, _settings(connection)), "")


def session_csrf_token(session: str, secret_key: str) -> str:
    """The CSRF token of a session: an HMAC of the session token (hex, 64 characters) under a
    key of its own derived from SECRET_KEY. Only someone holding the session cookie can
    compute it, so a planted CSRF cookie or token is worthless."""
    key = hmac.new(secret_key.encode(), b"agora csrf token v1", hashlib.sha256).digest()
    return hmac.new(key, session.encode(), hashlib.sha256).hexdigest()


def csrf_config(settings: Settings) -> CSRFConfig:
    """Litestar's double-submit cookie, which covers visitors (the log-in and sign-up forms)."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=cookie_name(CSRF_COOKIE, settings),
        cookie_secure=settings.is_https,
        cookie_httponly=True,
        exclude=CSRF_EXEMPT_PATHS,
    )


class SessionBoundCSRFMiddleware(ASGIMiddleware):
    """CSRF protection, in place of Litestar's CSRFMiddleware, bound to the session.

    A request carrying a session cookie must send that session's token
    (`session_csrf_token`, in the `_csrf_token` field or the `X-CSRFToken` header); the CSRF
    cookie is not consulted, only refreshed to the session's token for clients that read it.
    A visitor's request (the log-in and sign-up forms) gets the double-submit check of
    Litestar's design: the token sent must be the CSRF cookie's, signed with SECRET_KEY.
    Tokens are compared as bytes, so one with characters beyond ASCII fails rather than
    raising. Failures raise PermissionDeniedException (403).
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, config: CSRFConfig, settings: Settings) -> None:
        self.config = config
        self.session_cookie = cookie_name(SESSION_COOKIE, settings)
        exempt = re.compile("|".join(config.exclude or ["(?!)"]))
        self.should_bypass_for_scope = lambda scope: bool(exempt.search(scope["path"]))
        self.exclude_opt_key = config.exclude_from_csrf_key

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope, receive)
        cookie = request.cookies.get(self.config.cookie_name)
        session = request.cookies.get(self.session_cookie)
        state = ScopeState.from_scope(scope)
        if request.method in self.config.safe_methods:
            if session:
                token = session_csrf_token(session, self.config.secret)
            elif cookie is not None and self._signed(cookie):
                token = cookie
            else:
                # None yet, or one this site did not sign (SECRET_KEY changed since): a fresh
                # one, or the form would be refused for as long as the old cookie lasts.
                token = generate_csrf_token(self.config.secret)
            state.csrf_token = token
            await next_app(scope, receive, self._setting_cookie(send, token, cookie))
            return
        submitted = await self._submitted_token(request)
        expected: str | None = None
        if session:
            expected = session_csrf_token(session, self.config.secret)
        elif cookie is not None and self._signed(cookie):
            expected = cookie
        if expected is None or submitted is None or not _same(submitted, expected):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = expected
        await next_app(scope, receive, send)

    async def _submitted_token(self, request: Request[Any, Any, Any]) -> str | None:
        submitted: Any = request.headers.get(self.config.header_name)
        content_type, _ = request.content_type
        if not submitted and content_type in (
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        ):
            # One token or none: with two, which was meant cannot be told.
            tokens = (await request.form()).getall("_csrf_token", [])
            submitted = tokens[0] if len(tokens) == 1 else None
        return submitted if isinstance(submitted, str) else None

    def _signed(self, token: str) -> bool:
        """Whether a visitor's token is one this site made: a random secret and its HMAC."""
        secret, digest = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        return bool(digest) and _same(digest, generate_csrf_hash(secret, self.config.secret))

    def _setting_cookie(self, send: Send, token: str, cookie: str | None) -> Send:
        """`send`, adding the CSRF cookie to the response when the request's is not `token`."""
        if cookie == token:
            return send

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                fresh = Cookie(
                    key=self.config.cookie_name,
                    value=token,
                    path=self.config.cookie_path,
                    secure=self.config.cookie_secure,
                    httponly=self.config.cookie_httponly,
                    samesite=self.config.cookie_samesite,
                    domain=self.config.cookie_domain,
                )
                MutableScopeHeaders.from_message(message).add(
                    "set-cookie", fresh.to_header(header="")
                )
            await send(message)

        return send_with_cookie


def _same(submitted: str, expected: str) -> bool:
    # Compared as bytes: compare_digest refuses str with characters beyond ASCII.
    return hmac.compare_digest(submitted.encode(), expected.encode())


class SessionAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Sets `request.user` to the session's User, or None for a visitor."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = session_token(connection)
        user = await accounts.user_for_session(token) if token else None
        return AuthenticationResult(user=user, auth=token if user else None)


session_authentication = DefineMiddleware(SessionAuthenticationMiddleware, exclude=ANONYMOUS_PATHS)


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    """The logged-in user, or None; safe on routes the middleware skips."""
    user = connection.scope.get("user")
    return user if isinstance(user, User) else None


def logged_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User:
    """The user on a route guarded by `requires_login` (or a stricter guard)."""
    user = current_user(connection)
    assert user is not None, "route is missing its login guard"
    return user


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if current_user(connection) is None:
        raise NotAuthorizedException("Log in to continue.")


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: only moderators and admins (401 for visitors, 403 for members)."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Log in to continue.")
    if not user.is_staff:
        raise PermissionDeniedException("Only moderators and admins can see this page.")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A same-site path to go back to; anything that could leave the site becomes `fallback`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if any(ch in target for ch in "\r\n\t\\"):
        return fallback
    return target


def login_url_for(request: Request[Any, Any, Any]) -> str:
    """The log-in page, remembering where to come back to afterwards."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        # A POST cannot be replayed after log-in; go back to the page the form was on.
        back = safe_next(request.query_params.get("next") or _same_site_referer(request))
    return "/login?" + urlencode({"next": safe_next(back)})


def _same_site_referer(request: Request[Any, Any, Any]) -> str | None:
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(origin) :] if referer.startswith(origin + "/") else None


def set_session_cookie(
    response: Response[Any], request: Request[Any, Any, Any], token: str
) -> None:
    """Log the browser in: the session cookie, and the CSRF cookie set to the new session's
    token, so the next form (or a client reading the cookie) has a token that matches."""
    settings = _settings(request)
    response.set_cookie(
        cookie_name(SESSION_COOKIE, settings),
        token,
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
        path="/",
        max_age=60 * 60 * 24 * 400,
    )
    response.set_cookie(
        cookie_name(CSRF_COOKIE, settings),
        session_csrf_token(token, settings.secret_key),
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
        path="/",
    )


def clear_session_cookie(response: Response[Any], request: Request[Any, Any, Any]) -> None:
    """Log the browser out; the next page gives it a fresh visitor's CSRF cookie."""
    settings = _settings(request)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        # Set to expire rather than delete_cookie(): a `__Host-` cookie is only replaced by
        # one that is Secure too.
        response.set_cookie(
            cookie_name(name, settings),
            "",
            max_age=0,
            httponly=True,
            samesite="lax",
            secure=settings.is_https,
            path="/",
        )
