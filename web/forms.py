"""Form handling shared by the page controllers: how bodies are read, uploads taken, failures
given a status, where a form without JavaScript returns, and how a failed form is shown
again at a URL that a reload does not post to."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_422_UNPROCESSABLE_ENTITY

from domain import media
from domain.core import redis_guard
from domain.core.errors import ValidationFailed
from domain.core.settings import get_settings
from domain.core.text import control_character_problem
from web.auth import CSRF_COOKIE, cookie_name, safe_next
from web.text_guard import given_twice

# The body of a plain (url-encoded) form, for `Annotated[SomeForm, Form]` parameters.
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def _field_once(form: FormMultiDict, name: str, default: Any) -> Any:
    """The form's one value of `name` (`default` when absent); ValidationException (400)
    when it was given twice, which the edge cannot see in a multipart body."""
    values = form.getall(name, [])
    if len(values) > 1:
        raise ValidationException(given_twice(name))
    return values[0] if values else default


def text_field(form: FormMultiDict, name: str) -> str:
    """A text field of a multipart form; "" when absent or when a file was sent instead.
    Raises ValidationException (400) for control characters and for a field given twice
    (multipart bodies pass the edge's text guard unread, since their file parts are binary)."""
    value = _field_once(form, name, "")
    if not isinstance(value, str):
        return ""
    if problem := control_character_problem(value, f"The field {name}"):
        raise ValidationException(problem)
    return value


async def read_upload(form: FormMultiDict, name: str) -> bytes | None:
    """The uploaded file's bytes, or None when no file was chosen (browsers then send an empty
    part without a file name). At most one byte over the limit is read: enough to refuse it.
    Raises ValidationException (400) when the field was given twice."""
    value = _field_once(form, name, None)
    if not isinstance(value, UploadFile):
        return None
    try:
        return await value.read(get_settings().max_upload_bytes + 1)
    finally:
        await value.close()


def failure_status(failure: ValidationFailed) -> int:
    """413 for a file over the upload limit, 422 for anything else wrong with a form."""
    if isinstance(failure, media.ImageTooLarge):
        return HTTP_413_REQUEST_ENTITY_TOO_LARGE
    return HTTP_422_UNPROCESSABLE_ENTITY


def back_to(next_url: str, anchor: str = "") -> Redirect:
    """Where a form without JavaScript returns: the page it came from, at the thing it changed."""
    target = safe_next(next_url)
    return Redirect(
        target + (f"#{anchor}" if anchor and "#" not in target else ""), status_code=303
    )


# Post/Redirect/Get for forms that fail, too. A failed form is not shown in the answer to its
# POST (reloading that page would post again, and its URL, such as /posts, answers GET with
# 405); its typed values and errors are kept in Redis for FAILED_FORM_SECONDS and the browser
# is sent (303) to the form's own GET page with `?failed=<token>`, which shows them with the
# failure's 4xx status. Reloading that page shows the same errors and posts nothing. The entry
# is bound to the browser's CSRF cookie (a digest of it), so a shared or guessed URL shows
# another browser nothing. Without Redis the failure page is rendered in the POST's answer, as
# before. htmx requests never get here: they swap the 422 form in place, so nothing reloads.
FAILED_FORM_SECONDS = 600
FAILED_PARAM = "failed"
_FAILED_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class FailedForm:
    """A failed form as its GET page shows it: the typed values (JSON types only, never a
    password or a file), the errors by field name, and the failure's 4xx status."""

    values: dict[str, Any]
    errors: dict[str, str]
    status_code: int


def _failed_key(request: Request[Any, Any, Any], token: str) -> str:
    csrf = request.cookies.get(cookie_name(CSRF_COOKIE, request.app.state.settings), "")
    owner = hashlib.blake2b(csrf.encode(), digest_size=12).hexdigest()
    return f"form:failed:{owner}:{token}"


async def show_failure(
    request: Request[Any, Any, Any],
    page: str,
    failed: FailedForm,
    render: Callable[[FailedForm], Awaitable[Response[Any]]],
    anchor: str = "",
) -> Response[Any]:
    """Keep `failed` and redirect (303) to the GET page `page` (a path, perhaps with a query)
    that shows it, at `anchor`; `render` shows it directly when Redis cannot keep it."""
    guard = redis_guard.active()
    token = secrets.token_urlsafe(16)
    body = json.dumps(
        {"values": failed.values, "errors": failed.errors, "status": failed.status_code}
    )
    key = _failed_key(request, token)
    stored = (
        await guard.call(lambda client: client.set(key, body, ex=FAILED_FORM_SECONDS))
        if guard
        else None
    )
    if not stored:
        return await render(failed)
    separator = "&" if "?" in page else "?"
    fragment = f"#{anchor}" if anchor else ""
    return Redirect(f"{page}{separator}{FAILED_PARAM}={token}{fragment}", status_code=303)


async def failed_form(request: Request[Any, Any, Any]) -> FailedForm | None:
    """The failed form this GET page was sent to show (`?failed=<token>`), if it is still
    kept and belongs to this browser; None otherwise (the page then shows an empty form)."""
    tokens = request.query_params.getall(FAILED_PARAM, [])
    token = tokens[0] if len(tokens) == 1 else ""  # two: which was meant cannot be told
    guard = redis_guard.active()
    if guard is None or not _FAILED_TOKEN.fullmatch(token):
        return None
    key = _failed_key(request, token)
    kept: bytes | str | None = await guard.call(lambda client: client.get(key))
    if kept is None:
        return None
    data = json.loads(kept)
    return FailedForm(data["values"], data["errors"], int(data["status"]))
