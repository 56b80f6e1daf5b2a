"""GET /search: people, posts and tags, for visitors and members alike."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from domain import feeds, search
from domain.core import redis_guard
from domain.core.numbers import COUNT, parse_number
from web.auth import current_user
from web.htmx import current_location


class SearchController(Controller):
    @get("/search")
    async def search(
        self, request: Request[Any, Any, Any], q: FromQuery[str] = "", page: FromQuery[str] = "1"
    ) -> Template:
        viewer = current_user(request)
        number = parse_number(page, "page", COUNT)
        results = await search.search(q, viewer.id if viewer else None, number)
        return Template(
            "search.html",
            context={
                "query": q.strip(),
                "results": results,
                "viewer": viewer,
                "back": current_location(request),
                "bodies": await feeds.post_bodies(
                    results.posts, feeds.FEED_HEADING_LEVEL, redis_guard.active()
                ),
            },
        )
