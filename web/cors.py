"""Cross-origin access to the JSON API, for Mastodon clients that run in a browser.

Only the API (and the OAuth endpoints a client calls directly), the discovery documents and
the pictures (uploaded media, the default avatar and header) answer other origins. It is
authorised by bearer tokens, which a page on another site cannot take from a user, never by the
cookies that authorise the HTML pages; so `*` without credentials lets a foreign page do nothing
its own token could not do anyway. The HTML pages, and the consent page at /oauth/authorize,
stay same-origin.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CROSS_ORIGIN_PATHS = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/.well-known/",
    "/nodeinfo/",
    # Pictures, which web clients draw on canvases or fetch to cache: public files anyway.
    "/media/",
    "/avatars/",
    "/headers/",
)
# What the browser lets a foreign page read: paging and rate-limit state live in headers.
EXPOSED_HEADERS = "Link, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
PREFLIGHT_HEADERS = {
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": "Authorization, Content-Type, Idempotency-Key",
    "access-control-max-age": "86400",
}


async def allow_api_from_any_origin(message: Message, scope: Scope) -> None:
    """A `before_send` hook; the preflight itself is Litestar's automatic OPTIONS answer."""
    if message["type"] != "http.response.start":
        return
    if not scope["path"].startswith(CROSS_ORIGIN_PATHS):
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["access-control-allow-origin"] = "*"
    headers["access-control-expose-headers"] = EXPOSED_HEADERS
    if scope.get("method") == "OPTIONS":
        headers.update(PREFLIGHT_HEADERS)
