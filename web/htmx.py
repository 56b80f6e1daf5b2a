"""What htmx needs from the server: knowing a partial request, and telling caches about it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for requests htmx made (and that want a fragment), not for history restores."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
    )


# Never pages with the nav: the API, its schema, and files (an image must not cost a COUNT).
NO_NAV_PREFIXES = ("/api/", "/schema", "/media/", "/static/")


def renders_nav(request: Request[Any, Any, Any]) -> bool:
    """Whether the answer may be a full page with the main nav, whose counts `before_request`
    hooks then fill: fragments, forms, files and the API never render it."""
    return not (
        request.method != "GET" or is_htmx(request) or request.url.path.startswith(NO_NAV_PREFIXES)
    )


def current_location(request: Request[Any, Any, Any]) -> str:
    """The path and query of this request, for forms that come back here without JavaScript."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def htmx_page_location(request: Request[Any, Any, Any]) -> str:
    """The path and query of the page htmx sent this request from (its HX-Current-URL header),
    so fragments it swaps in can still send a browser without JavaScript back there."""
    page = urlsplit(request.headers.get("hx-current-url", ""))
    if page.netloc != request.url.netloc:
        return ""
    return page.path + (f"?{page.query}" if page.query else "")


async def cache_headers(message: Message, scope: Scope) -> None:
    """The same URL answers htmx with a fragment and a browser with a page: caches must know.

    Pages are also marked not to be reused from the browser's cache: going back to a page whose
    buttons htmx changed must show their state now, not the page as first loaded.
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers.add("vary", "HX-Request")
    if "cache-control" not in headers:
        headers["cache-control"] = "no-store"
