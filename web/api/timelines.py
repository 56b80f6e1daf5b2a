"""Timelines, bookmarks and favourites: lists of posts, newest first, paged by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from domain import api_queries
from domain.api_queries import IdRange, KeyedPage
from domain.errors import NotFound
from domain.text import normalize_tag
from web.api import entities
from web.api.auth import me, needs, public_access, viewer
from web.api.paging import Window, link_header
from web.api.serializers import Presenter

Statuses = Response[list[entities.Status]]


async def _list(
    request: Request[Any, Any, Any],
    window: IdRange,
    query: Callable[[IdRange], Awaitable[KeyedPage]],
) -> Statuses:
    page = await query(window)
    found = await Presenter(request, viewer(request)).posts([item.item_id for item in page.items])
    return Response(found, headers=link_header(request, page, window.limit))


class TimelinesController(Controller):
    """Paging everywhere: `max_id` (older than), `since_id` (newer than), `min_id` (just
    after), `limit` (20 by default, at most 40), with `Link` headers for the next and
    previous pages."""

    path = "/v1"
    tags = ["timelines"]

    @get("/timelines/home", **needs("read:statuses"))
    async def home(self, request: Request[Any, Any, Any], window: Window) -> Statuses:
        """Posts by the caller and the accounts they follow, newest first."""
        return await _list(request, window, partial(api_queries.home_ids, me(request).id))

    @get("/timelines/public", **public_access())
    async def public(
        self,
        request: Request[Any, Any, Any],
        window: Window,
        local: FromQuery[bool] = False,
        remote: FromQuery[bool] = False,
        only_media: FromQuery[bool] = False,
    ) -> Statuses:
        """Everyone's posts (all of them are local: Agora does not federate); `only_media`:
        those with an image."""
        if remote:
            return Response([])
        return await _list(request, window, partial(api_queries.public_ids, only_media=only_media))

    @get("/timelines/tag/{hashtag:str}", **public_access())
    async def tag(
        self, request: Request[Any, Any, Any], hashtag: FromPath[str], window: Window
    ) -> Statuses:
        """Posts with the hashtag (without `#`, any case)."""
        tag = normalize_tag(hashtag)
        if tag is None:
            raise NotFound("Record not found")
        return await _list(request, window, partial(api_queries.tag_ids, tag))

    @get("/bookmarks", **needs("read:bookmarks"))
    async def bookmarks(self, request: Request[Any, Any, Any], window: Window) -> Statuses:
        """The caller's bookmarks, most recently bookmarked first. The ids in the `Link`
        header are bookmark ids, not status ids, as in Mastodon."""
        return await _list(request, window, partial(api_queries.bookmark_ids, me(request).id))

    @get("/favourites", **needs("read:favourites"))
    async def favourites(self, request: Request[Any, Any, Any], window: Window) -> Statuses:
        """Posts the caller liked, most recently liked first (paged by like id)."""
        return await _list(request, window, partial(api_queries.favourite_ids, me(request).id))
