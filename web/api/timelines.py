"""`/api/v1/timelines/...`: home, public and tag timelines, newest first, paged by id."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from domain import feeds
from domain.core.errors import NotFound
from domain.posts import normalize_tag
from web.api.auth import me, needs, public_access, viewer
from web.api.paging import Window
from web.api.serializers import Statuses, status_list


def _viewer_id(request: Request[Any, Any, Any]) -> int | None:
    user = viewer(request)
    return user.id if user else None


class TimelinesController(Controller):
    """Paging everywhere: `max_id` (older than), `since_id` (newer than), `min_id` (just
    after), `limit` (20 by default, at most 40), with `Link` headers for the next and
    previous pages."""

    path = "/v1"
    tags = ["timelines"]

    @get("/timelines/home", **needs("read:statuses"))
    async def home(self, request: Request[Any, Any, Any], window: Window) -> Statuses:
        """Posts by the caller and the accounts they follow, newest first."""
        return await status_list(request, window, partial(feeds.home_ids, me(request).id))

    @get("/timelines/public", **public_access())
    async def public(
        self,
        request: Request[Any, Any, Any],
        window: Window,
        local: FromQuery[bool] = False,
        remote: FromQuery[bool] = False,
        only_media: FromQuery[bool] = False,
    ) -> Statuses:
        """Everyone's public posts (all of them are local: Agora does not federate; unlisted,
        followers-only and direct posts are never here); `only_media`: those with an image."""
        if remote:
            return Response([])
        query = partial(feeds.public_ids, _viewer_id(request), only_media=only_media)
        return await status_list(request, window, query)

    @get("/timelines/tag/{hashtag:str}", **public_access())
    async def tag(
        self, request: Request[Any, Any, Any], hashtag: FromPath[str], window: Window
    ) -> Statuses:
        """Public posts with the hashtag (without `#`, any case)."""
        tag = normalize_tag(hashtag)
        if tag is None:
            raise NotFound("Record not found")
        return await status_list(request, window, partial(feeds.tag_ids, tag, _viewer_id(request)))
