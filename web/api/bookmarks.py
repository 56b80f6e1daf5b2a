"""`/api/v1/bookmarks`: the caller's bookmarked statuses."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get

from domain import feeds
from web.api.auth import me, needs
from web.api.paging import Window
from web.api.serializers import Statuses, status_list


class BookmarksController(Controller):
    path = "/v1/bookmarks"
    tags = ["timelines"]

    @get("/", **needs("read:bookmarks"))
    async def bookmarks(self, request: Request[Any, Any, Any], window: Window) -> Statuses:
        """The caller's bookmarks, most recently bookmarked first. The ids in the `Link`
        header are bookmark ids, not status ids, as in Mastodon."""
        return await status_list(request, window, partial(feeds.bookmark_ids, me(request).id))
