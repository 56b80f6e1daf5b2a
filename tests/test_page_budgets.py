"""Page weight budgets, measured as the server sends them to a browser (compressed, by the
app's own middleware): everything under /static/ that pages link (CSS, JavaScript, icons,
and what the CSS itself loads) at most 60 KiB together, and the HTML of the fullest pages
(a home feed, a profile and a notifications page, each a full page of the longest posts) at
most 100 KiB each. Also: text is compressed, images and event streams are not."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import brotli
import pytest
from httpx import ASGITransport, AsyncClient, Headers
from litestar import Litestar, get
from litestar.response import ServerSentEvent

from bench.ui_audit.seed import fill_largest_pages, picture
from domain import accounts, posts
from domain.feeds import PAGE_SIZE
from tests.helpers import as_asgi
from web.compression import MINIMUM_SIZE_BYTES, compression_config, is_compressible

KIB = 1024
ASSETS_BUDGET_BYTES = 60 * KIB
HTML_BUDGET_BYTES = 100 * KIB
# What Chromium asks for; the server picks brotli from it.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
STATIC_REFERENCE = re.compile(
    r"""(?:href|src)="(/static/[^"#?]+)[^"]*"|url\(["']?(/static/[^"')#?]+)"""
)

DECODERS: dict[str, Callable[[bytes], bytes]] = {"br": brotli.decompress, "gzip": gzip.decompress}

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


@dataclass(frozen=True)
class Sent:
    """A response as it crossed the wire: its headers and its body's size in bytes, still
    encoded, next to the decoded body."""

    headers: Headers
    wire_bytes: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


async def fetch_as_browser(
    client: AsyncClient, url: str, encodings: str = BROWSER_ENCODINGS
) -> Sent:
    async with client.stream("GET", url, headers={"accept-encoding": encodings}) as response:
        assert response.status_code == 200, url
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    decode = DECODERS.get(response.headers.get("content-encoding", ""), bytes)
    return Sent(response.headers, len(raw), decode(raw))


async def user(username: str) -> accounts.User:
    found = await accounts.find_user(username)
    assert found is not None
    return found


@pytest.fixture
async def fullest_pages(members: Members) -> dict[str, tuple[AsyncClient, str]]:
    """The page name, and the client that sees it full and its URL."""
    reader, author = await members("reader"), await members("author")
    await fill_largest_pages(await user("reader"), await user("author"))
    return {
        "home": (reader, "/"),
        "profile": (reader, "/@author"),
        "notifications": (author, "/notifications"),
    }


async def test_the_fullest_pages_stay_within_the_html_budget(
    fullest_pages: dict[str, tuple[AsyncClient, str]],
) -> None:
    for name, (client, url) in fullest_pages.items():
        page = await fetch_as_browser(client, url)
        assert page.headers["content-encoding"] == "br", name
        items = page.text.count("<article")
        assert items >= PAGE_SIZE, f"{name} shows {items} items, not a full page"
        assert page.wire_bytes <= HTML_BUDGET_BYTES, (
            f"{name}: {page.wire_bytes} bytes sent ({len(page.body)} before compression)"
        )


async def static_assets(client: AsyncClient, pages: list[str]) -> dict[str, int]:
    """Every /static/ file the pages link, and what the linked CSS loads in turn, each with
    the bytes the server sends for it."""
    sizes: dict[str, int] = {}
    queue = [(await fetch_as_browser(client, page)).text for page in pages]
    while queue:
        for match in STATIC_REFERENCE.finditer(queue.pop()):
            path = match.group(1) or match.group(2)
            if path not in sizes:
                asset = await fetch_as_browser(client, path)
                sizes[path] = asset.wire_bytes
                if path.endswith(".css"):
                    queue.append(asset.text)
    return sizes


async def test_the_css_javascript_and_icons_pages_link_stay_within_budget(
    fullest_pages: dict[str, tuple[AsyncClient, str]], client: AsyncClient
) -> None:
    sizes: dict[str, int] = {}
    for member, url in fullest_pages.values():
        sizes |= await static_assets(member, [url, "/settings", "/@author/1"])
    sizes |= await static_assets(client, ["/login", "/signup", "/explore"])
    assert "/static/vendor/htmx.min.js" in sizes and any(p.endswith(".css") for p in sizes)
    assert sum(sizes.values()) <= ASSETS_BUDGET_BYTES, sizes


@pytest.mark.parametrize(
    ("encodings", "expected"), [(BROWSER_ENCODINGS, "br"), ("gzip", "gzip"), ("identity", None)]
)
async def test_html_css_and_javascript_are_compressed_as_the_client_accepts(
    client: AsyncClient, encodings: str, expected: str | None
) -> None:
    page = await fetch_as_browser(client, "/login", encodings)
    assets = [m.group(1) for m in STATIC_REFERENCE.finditer(page.text) if m.group(1)]
    css = next(a for a in assets if a.endswith(".css") and "site" in a)
    for url in ["/login", css, "/static/vendor/htmx.min.js"]:
        sent = await fetch_as_browser(client, url, encodings)
        assert sent.headers.get("content-encoding") == expected, url
        identity = await fetch_as_browser(client, url, "identity")
        if expected is not None:
            assert "Accept-Encoding" in sent.headers.get_list("vary", split_commas=True), url
            assert sent.wire_bytes < len(identity.body) / 2, url
        if not url.startswith("/login"):  # a page carries a fresh CSRF token each time
            assert sent.text == identity.text, url


async def test_images_and_small_responses_are_sent_as_they_are(members: Members) -> None:
    member = await members("painter")
    image = posts.AttachedImage(picture(800, 600, 30), "Hills")
    await posts.publish(await user("painter"), "A picture", image=image)
    profile = await fetch_as_browser(member, "/@painter")
    source = re.search(r'<img[^>]+src="(/media/[^"]+)"', profile.text)
    assert source is not None, "the post's image is on the profile"
    sent = await fetch_as_browser(member, source.group(1))
    assert "content-encoding" not in sent.headers
    assert sent.wire_bytes == int(sent.headers["content-length"]) > MINIMUM_SIZE_BYTES
    health = await fetch_as_browser(member, "/health/live")
    assert "content-encoding" not in health.headers


@get("/events", sync_to_thread=False)
def events() -> ServerSentEvent:
    return ServerSentEvent(iter(["x" * MINIMUM_SIZE_BYTES, "second event"]))


@get("/text", sync_to_thread=False)
def text() -> str:
    return "x" * MINIMUM_SIZE_BYTES * 2


@pytest.fixture
async def streaming_client() -> AsyncIterator[AsyncClient]:
    """An app with the same compression as Agora's, serving an event stream beside text."""
    application = Litestar([events, text], compression_config=compression_config())
    transport = ASGITransport(app=as_asgi(application))
    async with AsyncClient(transport=transport, base_url="http://agora.test") as streaming:
        yield streaming


async def test_event_streams_are_never_compressed(streaming_client: AsyncClient) -> None:
    stream = await fetch_as_browser(streaming_client, "/events")
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in stream.headers
    assert "data: second event" in stream.text
    assert (await fetch_as_browser(streaming_client, "/text")).headers["content-encoding"] == "br"


@pytest.mark.parametrize(
    ("content_type", "compressible"),
    [
        ("text/html; charset=utf-8", True),
        ("text/css", True),
        ("text/javascript; charset=utf-8", True),
        ("application/json", True),
        ("application/activity+json", True),
        ("image/svg+xml", True),
        ("TEXT/Event-Stream; charset=utf-8", False),
        ("image/png", False),
        ("image/jpeg", False),
        ("application/octet-stream", False),
        ("", False),
    ],
)
def test_only_text_types_are_compressible(content_type: str, compressible: bool) -> None:
    assert is_compressible(content_type) is compressible
