"""Keeps the fragments most likely to be read warm: the busiest recent posts and the public feed."""

from __future__ import annotations

from typing import Any

from domain import feeds, redis_guard
from domain.tables import Post
from web.controllers.feeds import FEED_HEADING_LEVEL
from web.fragments import post_bodies

BUSIEST_POSTS = 200


async def warm_cache(ctx: dict[str, Any]) -> int:
    """Render and cache fragments not already cached; returns how many posts it covered."""
    rows = await Post.raw(
        "SELECT id FROM post WHERE created_at > now() - interval '2 days'"
        " ORDER BY like_count + comment_count DESC, id DESC LIMIT {}",
        BUSIEST_POSTS,
    )
    busiest = await feeds.cards_by_ids([row["id"] for row in rows], None)
    public = await feeds.public_feed(None)
    cards = {**busiest, **{card.id: card for card in public.cards}}
    await post_bodies(list(cards.values()), FEED_HEADING_LEVEL, redis_guard.active())
    return len(cards)
