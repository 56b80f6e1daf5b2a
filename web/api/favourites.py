"""`/api/v1/favourites`: the statuses the caller liked."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get

from domain import feeds
from web.api.auth import me, needs
from web.api.paging import Window
from web.api.serializers import Statuses, status_list


class FavouritesController(Controller):
    path = "/v1/favourites"
    tags = ["timelines"]

    @get("/", **needs("read:favourites"))
    async def favourites(self, request: Request[Any, Any, Any], window: Window) -> Statuses:
        """Posts the caller liked, most recently liked first (paged by like id)."""
        return await status_list(request, window, partial(feeds.favourite_ids, me(request).id))
