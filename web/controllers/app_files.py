"""`/favicon.ico` and `/manifest.webmanifest`: the files browsers and phones ask for at fixed
addresses, outside /static/ (the icons themselves are static/icons/*, made by
scripts/make_icons.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.response import File

from web.static_assets import STATIC_DIR, static_url

# Not content-hashed like /static/ URLs, so browsers check again after a day.
A_DAY = CacheControlHeader(max_age=86_400, public=True)
# The light theme's surface and accent: the splash screen and the browser's chrome.
BACKGROUND_COLOUR = "#ffffff"
THEME_COLOUR = "#5535d4"


def web_app_manifest() -> dict[str, Any]:
    """The Web App Manifest (https://www.w3.org/TR/appmanifest/): name, start URL, standalone
    display, colours, and icons at 192 and 512 px usable as `any` or `maskable`."""
    return {
        "name": "Agora",
        "short_name": "Agora",
        "description": "A social network that works in any browser, with or without JavaScript.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {
                "src": static_url(f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ]
        + [{"src": static_url("icons/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }


class AppFilesController(Controller):
    """Served to anyone, without reading the session (like /static/)."""

    cache_control = A_DAY

    @get("/favicon.ico", opt={"exclude_from_auth": True})
    async def favicon(self) -> File:
        return File(
            STATIC_DIR / "icons" / "favicon.ico",
            media_type="image/x-icon",
            filename="favicon.ico",
            content_disposition_type="inline",
        )

    @get("/manifest.webmanifest", opt={"exclude_from_auth": True})
    async def manifest(self) -> Response[dict[str, Any]]:
        return Response(web_app_manifest(), media_type="application/manifest+json")
