"""/api/v1/media and /api/v2/media: uploading an image for a later status, and describing it.

The rules live in domain.posts (attachments); the file is read as the web form reads it
(web/controllers/media.py). Agora stores the image before answering, so v2 answers 200 with
the image's URL rather than Mastodon's 202 for media still being processed.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from domain import posts
from domain.core.numbers import SERIAL, path_id
from web.api import entities
from web.api.auth import me, needs
from web.api.errors import unprocessable
from web.api.openapi import Field
from web.api.params import Params, read_params
from web.api.serializers import Presenter
from web.forms import read_upload

MEDIA_PATH = "/v1/media/{media_id:str}"
DESCRIPTION_FIELD = Field(
    "description", "Alt text for people who cannot see the image (required before posting it)"
)
FOCUS_FIELD = Field(
    "focus", "The focal point as x,y, each from -1 to 1 (Mastodon's meta.focus); 0,0 centres"
)
THUMBNAIL_FIELD = Field("thumbnail", "Not supported: Agora makes its own thumbnails")
UPLOAD_FIELDS = (
    Field("file", "The image: JPEG, PNG, WebP or GIF (multipart/form-data)", required=True),
    DESCRIPTION_FIELD,
    FOCUS_FIELD,
    THUMBNAIL_FIELD,
)


def _upload_id(raw: str) -> str:
    """The upload id of a path, by domain.core.numbers' rule (a serial); 404 for any other."""
    return str(path_id(raw, SERIAL, "Record not found"))


async def _focus(request: Request[Any, Any, Any], params: Params) -> posts.Focus | None:
    """The `focus` sent, None when left out; a `thumbnail` (Mastodon's custom preview, for
    audio and video) is refused rather than ignored."""
    form = await request.form() if request.content_type[0] == "multipart/form-data" else {}
    if params.has("thumbnail") or "thumbnail" in form:
        raise unprocessable("Agora makes its own thumbnails of images (thumbnail)")
    raw = params.get("focus")
    return None if raw is None else posts.Focus.parse(raw)


class MediaController(Controller):
    path = "/"
    tags = ["media"]

    @post(
        ["/v2/media", "/v1/media"],
        status_code=HTTP_200_OK,
        **needs("write:media", body=UPLOAD_FIELDS),
    )
    async def upload(self, request: Request[Any, Any, Any]) -> entities.MediaAttachment:
        """Upload an image to attach to a status with `media_ids[]` (one per status). It is
        checked like the web form's: not an image 422, over the size limit 413. Uploads no
        status takes are removed after a day."""
        params = await read_params(request)
        focus = await _focus(request, params)
        data = await read_upload(await request.form(), "file")
        created = await posts.upload(me(request), data, params.text("description"), focus)
        return Presenter(request, me(request)).upload(created)

    @get(MEDIA_PATH, **needs("write:media"))
    async def show(
        self, request: Request[Any, Any, Any], media_id: FromPath[str]
    ) -> entities.MediaAttachment:
        """One of one's own uploads (anyone else's: 404)."""
        found = await posts.get_upload(me(request), _upload_id(media_id))
        return Presenter(request, me(request)).upload(found)

    @put(
        MEDIA_PATH,
        **needs("write:media", body=(DESCRIPTION_FIELD, FOCUS_FIELD, THUMBNAIL_FIELD)),
    )
    async def update(
        self, request: Request[Any, Any, Any], media_id: FromPath[str]
    ) -> entities.MediaAttachment:
        """Set the description and/or the focal point of an upload not yet in a status (once
        posted: 422); what is left out stays as it is."""
        params = await read_params(request)
        focus = await _focus(request, params)
        changed = await posts.update_upload(
            me(request), _upload_id(media_id), params.get("description"), focus
        )
        return Presenter(request, me(request)).upload(changed)
