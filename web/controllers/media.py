"""The HTTP side of images: the compose and profile forms with their optional uploads, and
`/media/`, where stored images are served. The rules live in domain/media.py.

Both forms are multipart/form-data so that they work without JavaScript; they are read with
`request.form()`, which also takes url-encoded bodies (clients that send only text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.datastructures import CacheControlHeader, FormMultiDict, UploadFile
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_422_UNPROCESSABLE_ENTITY

from domain import feeds, media
from domain.errors import ValidationFailed
from domain.settings import Settings, get_settings
from web.auth import logged_in_user


def _text(form: FormMultiDict, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


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


def _failure_status(failure: ValidationFailed) -> int:
    if isinstance(failure, media.ImageTooLarge):
        return HTTP_413_REQUEST_ENTITY_TOO_LARGE
    return HTTP_422_UNPROCESSABLE_ENTITY


async def compose(request: Request[Any, Any, Any]) -> Response[Any]:
    """`POST /posts`: publish, or show the home page again with the errors and typed text."""
    viewer = logged_in_user(request)
    form = await request.form()
    text, alt = _text(form, "text"), _text(form, "image_alt")
    try:
        created = await media.create_post(viewer, text, await read_upload(form, "image"), alt)
    except ValidationFailed as failure:
        return Template(
            "feeds/home.html",
            context={
                "page": await feeds.home_feed(viewer.id),
                "viewer": viewer,
                "back": "/",
                "feed_path": "/",
                "first_page": True,
                "values": {"text": text, "image_alt": alt},
                "errors": failure.errors,
                "feed_heading": "Your feed",
            },
            status_code=_failure_status(failure),
        )
    return Redirect(f"/#post-{created.id}", status_code=303)


async def save_profile(request: Request[Any, Any, Any]) -> Response[Any]:
    """`POST /settings/profile`: display name, bio and an optional new avatar."""
    viewer = logged_in_user(request)
    form = await request.form()
    display_name, bio = _text(form, "display_name"), _text(form, "bio")
    try:
        await media.update_profile(viewer, display_name, bio, await read_upload(form, "avatar"))
    except ValidationFailed as failure:
        return Template(
            "profiles/edit.html",
            context={
                "values": {"display_name": display_name, "bio": bio, "avatar": viewer.avatar},
                "errors": failure.errors,
            },
            status_code=_failure_status(failure),
        )
    return Redirect(f"/@{viewer.username}", status_code=303)


def max_request_bytes(settings: Settings) -> int:
    """Room for the largest accepted image plus the form's text fields."""
    return max(10_000_000, settings.max_upload_bytes + 1_000_000)


def media_files_router(settings: Settings) -> Router:
    """`/media/...`: names are content hashes, so a file never changes and may be cached for a
    year; every response also gets `X-Content-Type-Options: nosniff` (web/security_headers.py)."""
    directory = Path(settings.media_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return create_static_files_router(
        path="/media",
        directories=[directory],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        opt={"exclude_from_auth": True},
        include_in_schema=False,
    )
