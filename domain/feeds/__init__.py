"""Feeds: post cards as a viewer sees them, the feed pages of the web (keyset on time and
id), the id-keyed feeds of the API, the #tag test, and the cache of rendered post bodies."""

from domain.feeds.cards import POST_BLOCKED, PostCard, card, cards_by_ids
from domain.feeds.fragments import (
    FEED_HEADING_LEVEL,
    FRAGMENT_HITS,
    FRAGMENT_MISSES,
    TEMPLATES_DIR,
    fragment_key,
    post_bodies,
    render_body,
)
from domain.feeds.fragments import warm as warm_fragments
from domain.feeds.keyed import (
    account_post_ids,
    bookmark_ids,
    favourite_ids,
    home_ids,
    public_ids,
    tag_ids,
)
from domain.feeds.pages import (
    BAD_CURSOR,
    PAGE_SIZE,
    Cursor,
    FeedPage,
    bookmarks_feed,
    home_feed,
    profile_feed,
    public_feed,
    tag_feed,
)
from domain.feeds.tags import has_tag

__all__ = [
    "BAD_CURSOR",
    "FEED_HEADING_LEVEL",
    "FRAGMENT_HITS",
    "FRAGMENT_MISSES",
    "PAGE_SIZE",
    "POST_BLOCKED",
    "TEMPLATES_DIR",
    "Cursor",
    "FeedPage",
    "PostCard",
    "account_post_ids",
    "bookmark_ids",
    "bookmarks_feed",
    "card",
    "cards_by_ids",
    "favourite_ids",
    "fragment_key",
    "has_tag",
    "home_feed",
    "home_ids",
    "post_bodies",
    "profile_feed",
    "public_feed",
    "public_ids",
    "render_body",
    "tag_feed",
    "tag_ids",
    "warm_fragments",
]
