"""Search: accounts by username or display name, posts by their words, and a #tag."""

from domain.search.results import (
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    RESULTS_PER_KIND,
    SEARCH_MAX_OFFSET,
    SearchResults,
    search,
    search_account_ids,
    search_post_ids,
    tag_in_use,
)

__all__ = [
    "MAX_PAGE",
    "MAX_QUERY_LENGTH",
    "RESULTS_PER_KIND",
    "SEARCH_MAX_OFFSET",
    "SearchResults",
    "search",
    "search_account_ids",
    "search_post_ids",
    "tag_in_use",
]
