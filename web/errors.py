"""Every failure becomes a clear 4xx/5xx page (or a JSON body under /api), never a raw 500."""

from __future__ import annotations

import logging
from typing import Any

from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    CrashShutdownError,
    InterfaceError,
    InternalClientError,
    PostgresConnectionError,
    TooManyConnectionsError,
)
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from domain.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.core.numbers import MalformedNumber
from web.allowed_hosts import UNKNOWN_HOST, host_name
from web.auth import login_url_for

logger = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Check your input",
    429: "Slow down",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
CSRF_MESSAGE = (
    "This form has expired or was sent from another site. Go back, reload the page and try again."
)
UNAVAILABLE_MESSAGE = "Agora cannot reach its database right now. Please try again in a moment."
RETRY_AFTER_SECONDS = 5
# Failures of the connection rather than of a statement: PostgreSQL unreachable (refused,
# reset), shutting down or starting up (57P01-57P03, what a restart answers), out of
# connection slots (53300), or a connection lost mid-query (class 08).
DATABASE_AWAY = (
    PostgresConnectionError,
    CannotConnectNowError,
    AdminShutdownError,
    CrashShutdownError,
    TooManyConnectionsError,
    ConnectionError,
)


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.scope["path"].startswith(
        ("/api/", "/oauth/", "/health/", "/.well-known/", "/nodeinfo/")
    )


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if _wants_json(request):
        return Response(
            {"error": message}, status_code=status_code, headers=headers, media_type=MediaType.JSON
        )
    if not host_name(request.headers.get("host", "")):
        # No page can be built for a Host that is no host (Litestar's router refuses some
        # before any middleware runs): every link on it reads the request's URL.
        return Response(UNKNOWN_HOST, status_code=HTTP_400_BAD_REQUEST, media_type=MediaType.TEXT)
    return Template(
        "errors/error.html",
        context={
            "status_code": status_code,
            "title": TITLES.get(status_code, "Error"),
            "message": message,
        },
        status_code=status_code,
        headers=headers,
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    message = exc.detail
    if exc.status_code == HTTP_403_FORBIDDEN and "CSRF" in exc.detail:
        message = CSRF_MESSAGE
    elif exc.status_code == HTTP_404_NOT_FOUND and exc.detail == "Not Found":
        message = "There is nothing at this address."
    elif exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        message = "Sorry, that did not work. Please try again."
    return error_response(request, exc.status_code, message, exc.headers)


def handle_not_authorized(
    request: Request[Any, Any, Any], exc: NotAuthorizedException
) -> Response[Any]:
    if _wants_json(request):
        return error_response(request, exc.status_code, exc.detail)
    login_url = login_url_for(request)
    if request.headers.get("hx-request"):
        # htmx follows redirects inside its XHR; tell it to navigate the whole page instead.
        return Response("", status_code=exc.status_code, headers={"HX-Redirect": login_url})
    return Redirect(login_url, status_code=303)


def handle_not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[Any]:
    return error_response(request, HTTP_404_NOT_FOUND, str(exc) or "Not found.")


def handle_forbidden(request: Request[Any, Any, Any], exc: Forbidden) -> Response[Any]:
    return error_response(request, HTTP_403_FORBIDDEN, str(exc) or "You may not do that.")


def handle_malformed_number(request: Request[Any, Any, Any], exc: MalformedNumber) -> Response[Any]:
    """A page's number broke domain.core.numbers' rule (too large, or not ASCII digits)."""
    return error_response(request, HTTP_400_BAD_REQUEST, str(exc))


def handle_validation_failed(
    request: Request[Any, Any, Any], exc: ValidationFailed
) -> Response[Any]:
    """Rule breaks no form handled itself (e.g. following yourself): 409 or 422 with the reason."""
    status = HTTP_409_CONFLICT if isinstance(exc, Conflict) else HTTP_422_UNPROCESSABLE_ENTITY
    return error_response(request, status, str(exc))


def _raised_in(exc: BaseException, module_prefix: str) -> bool:
    """Whether any frame of the exception's traceback is in a module named so."""
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__name__", "").startswith(module_prefix):
            return True
        traceback = traceback.tb_next
    return False


def database_away(exc: BaseException) -> bool:
    """Whether `exc` says PostgreSQL cannot be reached now, rather than that a statement or
    the code is wrong: the request may succeed if retried once the database is back."""
    if isinstance(exc, DATABASE_AWAY):
        return True
    # "connection is closed", "pool is closing", or (InternalClientError) a protocol left
    # mid-operation by a connection the server terminated; InterfaceError's subclasses are
    # misuse (a value a column cannot take, a bad setting), which retrying will not mend.
    if type(exc) in (InterfaceError, InternalClientError):
        return True
    # A DNS failure, a connect timeout, or asyncio's "Multiple exceptions" (::1 and
    # 127.0.0.1 both refused) while asyncpg connects; a full disk is no database outage.
    return isinstance(exc, OSError) and _raised_in(exc, "asyncpg.")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A 503 with `Retry-After` while the database is away (see `database_away`), else a
    500; the API and OAuth get JSON, pages the error page."""
    if database_away(exc):
        logger.warning("database unavailable on %s: %r", request.scope["path"], exc)
        return error_response(
            request,
            HTTP_503_SERVICE_UNAVAILABLE,
            UNAVAILABLE_MESSAGE,
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    path = request.scope["path"]
    logger.exception("unhandled error on %s %s", request.method, path, exc_info=exc)
    return error_response(
        request, HTTP_500_INTERNAL_SERVER_ERROR, "Sorry, something went wrong on our side."
    )


def handle_not_utf8(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    """Text that is not UTF-8 where the edge's text guard cannot look (multipart text parts,
    which Litestar decodes as it parses the form, wherever the form is first read): a 400
    saying so. Raised anywhere else it is a bug of ours, handled as one."""
    if not _raised_in(exc, "litestar."):
        return handle_unexpected(request, exc)
    return error_response(request, HTTP_400_BAD_REQUEST, "The request's text is not valid UTF-8.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    UnicodeDecodeError: handle_not_utf8,
    NotAuthorizedException: handle_not_authorized,
    HTTPException: handle_http_exception,
    NotFound: handle_not_found,
    Forbidden: handle_forbidden,
    ValidationFailed: handle_validation_failed,
    MalformedNumber: handle_malformed_number,
    Exception: handle_unexpected,
}
