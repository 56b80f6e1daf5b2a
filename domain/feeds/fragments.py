"""Rendered post bodies cached in Redis, shared by every viewer.

A fragment holds only what every viewer sees alike and what does not age: the post's text
and image. The author line (whose relative time, "5m", changes by the minute), like state,
counts and forms are rendered per request around it. Its key is a digest of everything it
shows, so any change (an edit, a new thumbnail) makes a new key and stale fragments are
never read; the old ones simply expire.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import Counter

from domain.core.redis_guard import GuardedRedis
from domain.core.settings import get_settings
from domain.core.sql import fetch, sql
from domain.feeds.cards import PostCard, cards_by_ids
from domain.feeds.pages import public_feed
from domain.media import shown

# Where the Jinja templates live; the web app's renderer reads the same folder.
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Post cards in feeds sit under the page's h2 section headings.
FEED_HEADING_LEVEL = 3
BUSIEST_POSTS = 200
# Part of every key: changing how a body is rendered (the text rules, the template's markup)
# changes this, so fragments rendered the old way are never read again.
RENDERING = "5"

FRAGMENT_HITS = Counter("agora_fragment_cache_hits", "Post fragments served from Redis")
FRAGMENT_MISSES = Counter("agora_fragment_cache_misses", "Post fragments rendered afresh")

# A plain environment, so the worker can render fragments without the web app.
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True)
)
_environment.globals.update(shown_image=shown)


def _shown_url(url: str | None, kind: str) -> str:
    image = shown(url, kind)
    return image.url if image else ""


def fragment_key(card: PostCard, heading: int) -> str:
    shown = "\x1f".join(
        (
            RENDERING,
            card.text,
            card.image or "",
            card.image_alt,
            "sensitive" if card.sensitive else "",
            # Where the images point: a new thumbnail makes a new key, so pages switch to it.
            _shown_url(card.image, "feed"),
            card.edited_at.isoformat() if card.edited_at else "",
        )
    )
    digest = hashlib.blake2b(shown.encode(), digest_size=10).hexdigest()
    return f"frag:post:{card.id}:h{heading}:{digest}"


def render_body(card: PostCard, heading: int) -> str:
    """The post body partial, rendered for this card at this heading level."""
    return _environment.get_template("partials/post_body.html").render(card=card, heading=heading)


async def post_bodies(
    cards: Sequence[PostCard], heading: int, guard: GuardedRedis | None
) -> dict[int, str]:
    """Each card's body HTML, from Redis where cached (one round trip), rendered otherwise."""
    if not cards:
        return {}
    keys = [fragment_key(card, heading) for card in cards]
    # The client returns bytes (no decode_responses); None for a miss.
    cached: list[bytes | str | None] | None = (
        await guard.call(lambda client: client.mget(keys)) if guard else None
    )
    bodies: dict[int, str] = {}
    fresh: dict[str, str] = {}
    for card, key, hit in zip(cards, keys, cached or [None] * len(cards), strict=True):
        if hit is not None:
            bodies[card.id] = hit.decode() if isinstance(hit, bytes) else hit
            continue
        bodies[card.id] = fresh[key] = render_body(card, heading)
    FRAGMENT_HITS.inc(len(cards) - len(fresh))
    FRAGMENT_MISSES.inc(len(fresh))
    if fresh and guard:
        ttl = get_settings().fragment_ttl_seconds

        def store(pipe: object) -> None:
            for key, html in fresh.items():
                pipe.set(key, html, ex=ttl)  # type: ignore[attr-defined]

        await guard.pipeline(store)
    return bodies


async def warm(guard: GuardedRedis | None) -> int:
    """Render and cache the fragments most likely to be read: the busiest posts of the last
    two days and the public feed's first page. Returns how many posts it covered."""
    rows = await fetch(
        sql(
            "SELECT id FROM post WHERE created_at > now() - interval '2 days'"
            " ORDER BY like_count + comment_count DESC, id DESC LIMIT {limit}",
            limit=BUSIEST_POSTS,
        )
    )
    busiest = await cards_by_ids([row["id"] for row in rows], None)
    public = await public_feed(None)
    cards = {**busiest, **{card.id: card for card in public.cards}}
    await post_bodies(list(cards.values()), FEED_HEADING_LEVEL, guard)
    return len(cards)
