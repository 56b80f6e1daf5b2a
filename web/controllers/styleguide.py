"""`/styleguide`: every token and component of the design system on one page, for people
working on Agora. Registered only outside production (web/app.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from domain import accounts, feeds
from web.auth import current_user
from web.feed_pages import render_feed
from web.static_assets import STATIC_DIR


def _names(path: str, pattern: str) -> list[str]:
    """Every name `pattern` (one group) finds in a static file, in order: the page lists what
    the files define, so it never falls behind them."""
    return re.findall(pattern, (STATIC_DIR / path).read_text(), re.MULTILINE)


ICONS = [name for name in _names("icons/sprite.svg", r'<symbol id="([\w-]+)"') if name != "agora"]
COLOUR_TOKENS = _names("css/site.css", r"^\s+--color-([\w-]+):")
SAMPLE_POSTS = 2


class StyleguideController(Controller):
    include_in_schema = False

    @get("/styleguide")
    async def styleguide(self, request: Request[Any, Any, Any]) -> Template:
        """The components, with the newest public posts and their authors as real samples of
        the post card and the people list."""
        viewer = current_user(request)
        page = await feeds.public_feed(viewer.id if viewer else None)
        sample = replace(page, cards=page.cards[:SAMPLE_POSTS], next_cursor=None)
        authors = await accounts.users_by_usernames([c.author_username for c in sample.cards])
        return await render_feed(
            request,
            "styleguide.html",
            sample,
            "/styleguide",
            icons=ICONS,
            colour_tokens=COLOUR_TOKENS,
            accounts=list(authors.values()),
        )
