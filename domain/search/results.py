"""Site search: people, posts and a tag, for the /search page and the API's /api/v2/search
(which has its own shapes but the same queries)."""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.querystring import QueryString

from domain import feeds, social
from domain.core.errors import ValidationFailed
from domain.core.sql import fetch, like_prefix, sql
from domain.core.visibility import LISTED
from domain.posts import normalize_tag

SEARCH_MAX_OFFSET = 10_000
RESULTS_PER_KIND = 20
MAX_QUERY_LENGTH = 200
MAX_PAGE = SEARCH_MAX_OFFSET // RESULTS_PER_KIND + 1


async def search_accounts(
    query: str, limit: int, offset: int, viewer_id: int | None = None
) -> list[social.AccountSummary]:
    """Accounts whose username starts with the query, or whose display name contains it;
    an exact username first, then the most followed. With a viewer, none across a block, and
    each with whether the viewer follows them: one statement."""
    text = query.strip().removeprefix("@").split("@")[0]
    if not text:
        return []
    rows = await fetch(
        sql(
            "SELECT {person} FROM agora_user u WHERE NOT u.is_suspended{unblocked}"
            " AND (lower(u.username) LIKE lower({prefix})"
            " OR u.display_name ILIKE '%' || {part} || '%')"
            " ORDER BY lower(u.username) = lower({text}) DESC, u.followers_count DESC, u.id"
            " LIMIT {limit} OFFSET {offset}",
            person=social.person_columns(viewer_id),
            unblocked=social.outside_viewer_blocks(viewer_id, QueryString("u.id")),
            prefix=like_prefix(text),
            part=like_prefix(text)[:-1],
            text=text,
            limit=limit,
            offset=min(offset, SEARCH_MAX_OFFSET),
        )
    )
    return [social.account_summary(row) for row in rows]


async def search_account_ids(
    query: str, limit: int, offset: int, viewer_id: int | None = None
) -> list[int]:
    """The ids of `search_accounts`, in its order (the API presents them itself)."""
    return [account.id for account in await search_accounts(query, limit, offset, viewer_id)]


async def search_post_ids(
    query: str, limit: int, offset: int, viewer_id: int | None = None
) -> list[int]:
    """Public posts containing every word of the query (full-text, 'simple'), newest first
    (unlisted, followers-only and direct posts are never searched); with a viewer, none
    across a block (filtered here, so that a page is still full)."""
    rows = await fetch(
        sql(
            "SELECT p.id FROM post p JOIN agora_user u ON u.id = p.author"
            " WHERE NOT u.is_suspended{unblocked} AND {listed}"
            " AND to_tsvector('simple', p.text) @@ plainto_tsquery('simple', {query})"
            " ORDER BY p.id DESC LIMIT {limit} OFFSET {offset}",
            unblocked=social.outside_viewer_blocks(viewer_id, QueryString("p.author")),
            listed=LISTED,
            query=query,
            limit=limit,
            offset=min(offset, SEARCH_MAX_OFFSET),
        )
    )
    return [row["id"] for row in rows]


async def tag_in_use(tag: str) -> bool:
    """Whether any public post of an account not suspended carries #tag (`tag` already
    normalized)."""
    rows = await fetch(
        sql(
            "SELECT 1 FROM post p JOIN agora_user u ON u.id = p.author"
            " WHERE NOT u.is_suspended AND {has_tag} AND {listed} LIMIT 1",
            has_tag=feeds.has_tag(tag),
            listed=LISTED,
        )
    )
    return bool(rows)


@dataclass(frozen=True)
class SearchResults:
    people: list[social.AccountSummary]
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
    people = await search_accounts(query, RESULTS_PER_KIND + 1, offset, viewer_id)
    post_ids = await search_post_ids(query, RESULTS_PER_KIND + 1, offset, viewer_id)
    more = len(people) > RESULTS_PER_KIND or len(post_ids) > RESULTS_PER_KIND
    post_ids = post_ids[:RESULTS_PER_KIND]
    cards = await feeds.cards_by_ids(post_ids, viewer_id)
    tag = normalize_tag(query)
    return SearchResults(
        people=people[:RESULTS_PER_KIND],
        posts=[cards[post_id] for post_id in post_ids if post_id in cards],
        tag=tag if tag and page == 1 and await tag_in_use(tag) else None,
        page=page,
        more=more and page < MAX_PAGE,
    )
