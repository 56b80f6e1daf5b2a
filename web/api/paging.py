"""Mastodon paging: `max_id`/`since_id`/`min_id`/`limit` in, RFC 8288 `Link` headers out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery

from domain.core.paging import DEFAULT_LIMIT, MAX_LIMIT, IdRange, KeyedItem, KeyedPage
from web.api.errors import unprocessable

PAGING_PARAMS = ("max_id", "since_id", "min_id", "limit")


def _id(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise unprocessable(f"{name} must be a numeric id")
    return int(value)


def id_range(
    max_id: str | None, since_id: str | None, min_id: str | None, limit: int | None
) -> IdRange:
    # Like Mastodon, an out-of-range limit is clamped rather than refused.
    clamped = DEFAULT_LIMIT if limit is None else max(1, min(limit, MAX_LIMIT))
    return IdRange(
        max_id=_id("max_id", max_id),
        since_id=_id("since_id", since_id),
        min_id=_id("min_id", min_id),
        limit=clamped,
    )


def provide_window(
    max_id: FromQuery[str | None] = None,
    since_id: FromQuery[str | None] = None,
    min_id: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> IdRange:
    """The paging parameters of a list, as the `window` dependency of the API's routes."""
    return id_range(max_id, since_id, min_id, limit)


PAGING_DEPENDENCIES = {"window": Provide(provide_window, sync_to_thread=False)}
Window = NamedDependency[IdRange]


def link_header(request: Request[Any, Any, Any], page: KeyedPage, limit: int) -> dict[str, str]:
    """`next` (older, by max_id) while more exist, `prev` (newer, by min_id) on any page."""
    if not page.items:
        return {}
    kept = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in PAGING_PARAMS
    ]
    base = str(request.base_url).rstrip("/") + request.url.path

    def url(**bound: int) -> str:
        return f"{base}?{urlencode([*kept, *bound.items(), ('limit', limit)])}"

    links = []
    if page.has_older:
        links.append(f'<{url(max_id=page.items[-1].key)}>; rel="next"')
    links.append(f'<{url(min_id=page.items[0].key)}>; rel="prev"')
    return {"Link": ", ".join(links)}


def next_link(request: Request[Any, Any, Any], max_id: int | None, limit: int) -> dict[str, str]:
    """A `next` link only, for lists paged one way (followers, following)."""
    if max_id is None:
        return {}
    page = KeyedPage([KeyedItem(max_id, 0)], has_older=True)
    return {"Link": link_header(request, page, limit)["Link"].split(", ")[0]}
