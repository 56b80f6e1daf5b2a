"""Who is asking: the session cookie, the middleware that resolves it, and the login guard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware

from domain import accounts
from domain.accounts import User

SESSION_COOKIE = "agora_session"
# Paths that never need to know the user, so they work even while Postgres is down.
ANONYMOUS_PATHS = ["^/health/", "^/metrics", "^/static/"]


class SessionAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Sets `request.user` to the session's User, or None for a visitor."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE, "")
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
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
        max_age=60 * 60 * 24 * 400,
    )


def clear_session_cookie(response: Response[Any]) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
