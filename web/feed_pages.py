"""Rendering a feed page, shared by every page that shows one (home, explore, tags,
bookmarks, profiles): the cursor from the query string, the cached post bodies, and for
htmx's "Older posts" only the next page of posts."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.response import Template

from domain import feeds
from domain.core import redis_guard
from domain.core.errors import ValidationFailed
from web.auth import current_user
from web.htmx import current_location, is_htmx


def parse_cursor(cursor: str) -> feeds.Cursor | None:
    """The `cursor` query parameter; None for the first page, a 400 when malformed."""
    if not cursor:
        return None
    try:
        return feeds.Cursor.decode(cursor)
    except ValidationFailed as failure:
        raise ValidationException(str(failure)) from failure


async def render_feed(
    request: Request[Any, Any, Any],
    template: str,
    page: feeds.FeedPage,
    feed_path: str,
    **context: Any,
) -> Template:
    """The whole page, or for htmx's "Older posts" only the next page of posts."""
    in_place = is_htmx(request)
    context.update(
        bodies=await feeds.post_bodies(page.cards, feeds.FEED_HEADING_LEVEL, redis_guard.active()),
        page=page,
        viewer=current_user(request),
        back=current_location(request),
        feed_path=feed_path,
        first_page="cursor" not in request.query_params,
        loaded_in_place=in_place,
    )
    return Template("feeds/more.html" if in_place else template, context=context)
