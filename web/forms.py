"""Form handling shared by the page controllers: how bodies are read, uploads taken, failures
given a status, and where a form without JavaScript returns."""

from __future__ import annotations

from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_422_UNPROCESSABLE_ENTITY

from domain import media
from domain.core.errors import ValidationFailed
from domain.core.settings import get_settings
from domain.core.text import control_character_problem
from web.auth import safe_next

# The body of a plain (url-encoded) form, for `Annotated[SomeForm, Form]` parameters.
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def text_field(form: FormMultiDict, name: str) -> str:
    """A text field of a multipart form; "" when absent or when a file was sent instead.
    Raises ValidationException (400) for control characters (multipart bodies pass the
    edge's text guard unread, since their file parts are binary)."""
    value = form.get(name, "")
    if not isinstance(value, str):
        return ""
    if problem := control_character_problem(value, f"The field {name}"):
        raise ValidationException(problem)
    return value


async def read_upload(form: FormMultiDict, name: str) -> bytes | None:
    """The uploaded file's bytes, or None when no file was chosen (browsers then send an empty
    part without a file name). At most one byte over the limit is read: enough to refuse it."""
    value = form.get(name)
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
