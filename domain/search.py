"""Site search: people, posts and a tag, for the /search page (the API has its own shapes
but the same queries, in domain.api_queries)."""

from __future__ import annotations

from dataclasses import dataclass

from domain import api_queries, feeds
from domain.tables import User
from domain.text import normalize_tag

RESULTS_PER_KIND = 20
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class SearchResults:
    people: list[User]
    posts: list[feeds.PostCard]
    tag: str | None  # the query as a tag, when posts carry it


async def search(query: str, viewer_id: int | None) -> SearchResults:
    """Accounts by username prefix or display name, posts with every word, and the tag;
    for a viewer, nobody across a block and none of their posts."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return SearchResults([], [], None)
    account_ids = await api_queries.search_account_ids(query, RESULTS_PER_KIND, 0, viewer_id)
    found = await User.objects().where(User.id.is_in(account_ids)) if account_ids else []
    by_id = {user.id: user for user in found}
    post_ids = await api_queries.search_post_ids(query, RESULTS_PER_KIND, 0, viewer_id)
    cards = await feeds.cards_by_ids(post_ids, viewer_id)
    tag = normalize_tag(query)
    return SearchResults(
        people=[by_id[account_id] for account_id in account_ids if account_id in by_id],
        posts=[cards[post_id] for post_id in post_ids if post_id in cards],
        tag=tag if tag and await api_queries.tag_in_use(tag) else None,
    )
