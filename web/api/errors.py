"""API error bodies: Mastodon's `{"error": ...}`, and RFC 6749's codes on the OAuth endpoints.

Not-found, forbidden and HTTP errors already become `{"error": ...}` under /api/ and /oauth/
(web/errors.py); these handlers add the domain errors only the API raises or must map
differently from the HTML site (a broken rule is 422 here, with the rule in the message).
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from domain.core.errors import ValidationFailed
from domain.core.numbers import MalformedNumber
from domain.media import ImageTooLarge
from domain.oauth import InvalidToken, OAuthError


def unprocessable(message: str) -> ValidationException:
    """Invalid input, answered as Mastodon does: 422."""
    return ValidationException(message, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


def _json(
    body: dict[str, Any], status_code: int, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def handle_malformed_number(_: Request[Any, Any, Any], exc: MalformedNumber) -> Response[Any]:
    """A number breaking domain.core.numbers' rule: 422 naming the parameter."""
    return _json({"error": str(exc)}, HTTP_422_UNPROCESSABLE_ENTITY)


def handle_validation_failed(_: Request[Any, Any, Any], exc: ValidationFailed) -> Response[Any]:
    return _json({"error": f"Validation failed: {exc}"}, HTTP_422_UNPROCESSABLE_ENTITY)


def handle_image_too_large(_: Request[Any, Any, Any], exc: ImageTooLarge) -> Response[Any]:
    # 413 like a body over the server's limit and like the web form, whichever limit it hit.
    return _json({"error": f"Validation failed: {exc}"}, HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def handle_oauth_error(_: Request[Any, Any, Any], exc: OAuthError) -> Response[Any]:
    # RFC 6749 5.2: a failed client authentication is 401, every other failure 400.
    status = HTTP_401_UNAUTHORIZED if exc.code == "invalid_client" else HTTP_400_BAD_REQUEST
    return _json(
        {"error": exc.code, "error_description": exc.description},
        status,
        {"Cache-Control": "no-store"},
    )


def handle_invalid_token(_: Request[Any, Any, Any], exc: InvalidToken) -> Response[Any]:
    return _json(
        {"error": str(exc)},
        HTTP_401_UNAUTHORIZED,
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


API_EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationFailed: handle_validation_failed,
    MalformedNumber: handle_malformed_number,
    ImageTooLarge: handle_image_too_large,
    OAuthError: handle_oauth_error,
    InvalidToken: handle_invalid_token,
}
