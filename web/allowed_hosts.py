"""Answer only for the hosts Agora is configured to be: the public URL's host and
`ALLOWED_HOSTS`. A request naming any other host in its Host header gets a 400, so nothing
the server writes (a redirect, a link) can be steered by that header."""

from __future__ import annotations

import re

from litestar.middleware import ASGIMiddleware
from litestar.response.base import ASGIResponse
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_400_BAD_REQUEST
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.core.settings import Settings
from web.text_guard import API_PATHS

UNKNOWN_HOST = "This server does not answer for that host name; check the address."


# A Host header as RFC 9110 has it: a registered name or IPv4 address, or an IPv6 address in
# brackets, then an optional port of ASCII digits. Anything else (an unbracketed IPv6 address,
# a port that is no number) is no host: Litestar could not build the request's URL from it.
_HOST = re.compile(
    r"(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._~!$&'()*+,;=%-]+))(?::(?P<port>[0-9]{1,5}))?",
    re.ASCII,
)


def host_name(host_header: str) -> str:
    """The host name of a Host header value: lower case, without the port or IPv6 brackets;
    "" for a value that is no host (malformed, or a port above 65535)."""
    found = _HOST.fullmatch(host_header.strip().lower())
    if found is None or int(found["port"] or 0) > 65_535:
        return ""
    return found["ip6"] or found["name"]


def _probed_by_address(scope: Scope) -> bool:
    # Load balancers, compose's health check and Prometheus call these at the machine's own
    # address; they write no URLs.
    path: str = scope["path"]
    return path.startswith(("/health/", "/metrics"))


class AllowedHostsMiddleware(ASGIMiddleware):
    """Answers 400 to a request whose Host is not an allowed host name: `{"error": ...}` on
    the API's paths, plain text elsewhere.

    Litestar's own AllowedHostsConfig compares the Host header with its port included, so
    every port a server may listen on would have to be listed; this compares host names.
    """

    def __init__(self, settings: Settings) -> None:
        self.allowed = frozenset({settings.public_host, *settings.allowed_hosts})

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = ""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = host_name(value.decode("latin-1"))
                break
        # Probes may name any host, but not a malformed one: even they may fail and be
        # answered by an error page, which reads the request's URL.
        if host in self.allowed or (host and _probed_by_address(scope)):
            await next_app(scope, receive, send)
            return
        # Answered here rather than raised: the error pages would build the request's URL
        # from the very Host header being refused, and an empty one cannot be parsed.
        path: str = scope["path"]
        if path.startswith(API_PATHS):
            body, media_type = encode_json({"error": UNKNOWN_HOST}), "application/json"
        else:
            body, media_type = UNKNOWN_HOST.encode(), "text/plain; charset=utf-8"
        response = ASGIResponse(body=body, status_code=HTTP_400_BAD_REQUEST, media_type=media_type)
        await response(scope, receive, send)
