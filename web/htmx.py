"""What htmx needs from the server: knowing a partial request, and telling caches about it."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for requests htmx made (and that want a fragment), not for history restores."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
    )


def current_location(request: Request[Any, Any, Any]) -> str:
    """The path and query of this request, for forms that come back here without JavaScript."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def vary_on_hx_request(message: Message, scope: Scope) -> None:
    """The same URL answers htmx with a fragment and a browser with a page: caches must know."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message).add("vary", "HX-Request")
