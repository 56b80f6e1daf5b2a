"""GET /api/v2/search: accounts, statuses and hashtags."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter

from domain import oauth, search
from domain.core.numbers import COUNT, optional_number
from domain.posts import normalize_tag
from web.api import entities
from web.api.auth import public_access, token_grant, viewer
from web.api.errors import unprocessable
from web.api.paging import page_limit
from web.api.serializers import Presenter

KINDS = ("accounts", "statuses", "hashtags")


class SearchController(Controller):
    path = "/v2/search"
    tags = ["search"]

    @get("/", **public_access())
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: FromQuery[str],
        kind: Annotated[str | None, QueryParameter(name="type")] = None,
        limit: FromQuery[str | None] = None,
        offset: FromQuery[str | None] = None,
        resolve: FromQuery[bool] = False,
    ) -> entities.SearchResults:
        """Search accounts (username prefix or display name), hashtags (an exact tag in use)
        and, with a user token holding `read:search`, statuses (posts with all the words).

        `type` narrows to one kind; `limit` (20, at most 40) and `offset` page each kind.
        `resolve` is accepted and ignored: Agora does not federate.
        """
        del resolve
        if kind is not None and kind not in KINDS:
            raise unprocessable(f"type must be one of {', '.join(KINDS)}")
        skip = optional_number(offset, "offset", COUNT) or 0
        count = page_limit(limit)
        wanted = (kind,) if kind else KINDS
        caller = viewer(request)
        caller_id = caller.id if caller else None
        presenter = Presenter(request, caller)
        results = entities.SearchResults(accounts=[], statuses=[], hashtags=[])
        if "accounts" in wanted:
            ids = await search.search_account_ids(q, count, skip, caller_id)
            results.accounts = await presenter.accounts_by_ids(ids)
        grant = token_grant(request)
        # As in Mastodon, only a user with read:search may search what people wrote.
        if (
            "statuses" in wanted
            and grant
            and grant.user
            and oauth.allows(grant.scopes, ["read:search"])
        ):
            results.statuses = await presenter.posts(
                await search.search_post_ids(q, count, skip, caller_id)
            )
        tag = normalize_tag(q.strip())
        if "hashtags" in wanted and tag and skip == 0 and await search.tag_in_use(tag):
            results.hashtags = [presenter.tag(tag)]
        return results
