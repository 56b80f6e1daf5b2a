"""Site search: people, posts and a tag, for the /search page (the API has its own shapes
but the same queries, in domain.api_queries)."""

from __future__ import annotations

from dataclasses import dataclass

from domain import api_queries, feeds
from domain.errors import ValidationFailed
from domain.tables import User
from domain.text import normalize_tag

RESULTS_PER_KIND = 20
MAX_QUERY_LENGTH = 200
MAX_PAGE = api_queries.SEARCH_MAX_OFFSET // RESULTS_PER_KIND + 1


@dataclass(frozen=True)
class SearchResults:
    people: list[User]
    posts: list[feeds.PostCard]
    tag: str | None  # the query as a tag, when posts carry it
    page: int = 1
    more: bool = False  # whether the next page has more people or posts


async def search(query: str, viewer_id: int | None, page: int = 1) -> SearchResults:
    """Accounts by username prefix or display name, posts with every word, and the tag, a
    page of each kind at a time; for a viewer, nobody across a block and none of their posts."""
    if not 1 <= page <= MAX_PAGE:
        raise ValidationFailed({"page": f"Search pages run from 1 to {MAX_PAGE}."})
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return SearchResults([], [], None)
    offset = (page - 1) * RESULTS_PER_KIND
    # One more of each than is shown, to know whether a next page exists.
    account_ids = await api_queries.search_account_ids(
        query, RESULTS_PER_KIND + 1, offset, viewer_id
    )
    post_ids = await api_queries.search_post_ids(query, RESULTS_PER_KIND + 1, offset, viewer_id)
    more = len(account_ids) > RESULTS_PER_KIND or len(post_ids) > RESULTS_PER_KIND
    account_ids, post_ids = account_ids[:RESULTS_PER_KIND], post_ids[:RESULTS_PER_KIND]
    found = await User.objects().where(User.id.is_in(account_ids)) if account_ids else []
    by_id = {user.id: user for user in found}
    cards = await feeds.cards_by_ids(post_ids, viewer_id)
    tag = normalize_tag(query)
    return SearchResults(
        people=[by_id[account_id] for account_id in account_ids if account_id in by_id],
        posts=[cards[post_id] for post_id in post_ids if post_id in cards],
        tag=tag if tag and page == 1 and await api_queries.tag_in_use(tag) else None,
        page=page,
        more=more and page < MAX_PAGE,
    )
