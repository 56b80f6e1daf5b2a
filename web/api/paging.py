"""Mastodon paging: `max_id`/`since_id`/`min_id`/`limit` in, RFC 8288 `Link` headers out."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import ParameterKwarg, QueryParameter

from domain.core.numbers import BIGSERIAL, COUNT, SERIAL, NumberRange, optional_number
from domain.core.paging import DEFAULT_LIMIT, MAX_LIMIT, IdRange, KeyedItem, KeyedPage
from web.api.errors import unprocessable

PAGING_PARAMS = ("max_id", "since_id", "min_id", "limit")


def page_limit(raw: str | None) -> int:
    """The `limit` parameter: DEFAULT_LIMIT when absent and, like Mastodon, clamped to 1 to
    MAX_LIMIT rather than refused; raises MalformedNumber (422) when it is not a number."""
    wanted = optional_number(raw, "limit", COUNT)
    return DEFAULT_LIMIT if wanted is None else max(1, min(wanted, MAX_LIMIT))


def id_range(
    max_id: str | None,
    since_id: str | None,
    min_id: str | None,
    limit: str | None,
    column: NumberRange = BIGSERIAL,
) -> IdRange:
    """The paging parameters as an IdRange over ids of `column`'s range; raises
    MalformedNumber (422) for one breaking domain.core.numbers' rule."""
    return IdRange(
        max_id=optional_number(max_id, "max_id", column),
        since_id=optional_number(since_id, "since_id", column),
        min_id=optional_number(min_id, "min_id", column),
        limit=page_limit(limit),
    )


def _id_parameter(meaning: str, ceiling: str = "2^63-1") -> ParameterKwarg:
    return QueryParameter(description=f"{meaning}; ASCII digits, at most {ceiling} (else 422)")


_LIMIT = QueryParameter(description="Items a page: 20 by default, clamped to 1 to 40; digits")
_NOT_OFFERED = QueryParameter(description="Not offered here (422)")


def provide_window(
    max_id: Annotated[str | None, _id_parameter("Older than this id")] = None,
    since_id: Annotated[str | None, _id_parameter("Newer than this id")] = None,
    min_id: Annotated[str | None, _id_parameter("Just after this id, oldest first")] = None,
    limit: Annotated[str | None, _LIMIT] = None,
) -> IdRange:
    """The paging parameters of a list keyed by a bigserial id, as the `window` dependency
    of the API's routes."""
    return id_range(max_id, since_id, min_id, limit)


def provide_backward_window(
    max_id: Annotated[str | None, _id_parameter("Older than this id", "2^31-1")] = None,
    since_id: Annotated[str | None, _NOT_OFFERED] = None,
    min_id: Annotated[str | None, _NOT_OFFERED] = None,
    limit: Annotated[str | None, _LIMIT] = None,
) -> IdRange:
    """The paging parameters of a list of accounts keyed by a serial id (a follow, a block, a
    follow request), which pages only backwards: the `backward_window` dependency. A client's
    `since_id` or `min_id` is refused with 422 rather than ignored."""
    for name, value in (("since_id", since_id), ("min_id", min_id)):
        if value is not None:
            raise unprocessable(f"This list pages only backwards, with max_id ({name})")
    return id_range(max_id, None, None, limit, SERIAL)


PAGING_DEPENDENCIES = {
    "window": Provide(provide_window, sync_to_thread=False),
    "backward_window": Provide(provide_backward_window, sync_to_thread=False),
}
Window = NamedDependency[IdRange]
BackwardWindow = NamedDependency[IdRange]


def link_header(request: Request[Any, Any, Any], page: KeyedPage, limit: int) -> dict[str, str]:
    """`next` (older, by max_id) while more exist, `prev` (newer, by min_id) on any page."""
    if not page.items:
        return {}
    kept = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in PAGING_PARAMS
    ]
    # The configured PUBLIC_URL, never the request's Host header.
    # The path percent-encoded: a header is ASCII, and a tag's path may not be (/tags/日本語).
    base = request.app.state.settings.public_url + quote(request.url.path)

    def url(**bound: int) -> str:
        return f"{base}?{urlencode([*kept, *bound.items(), ('limit', limit)])}"

    links = []
    if page.has_older:
        links.append(f'<{url(max_id=page.items[-1].key)}>; rel="next"')
    links.append(f'<{url(min_id=page.items[0].key)}>; rel="prev"')
    return {"Link": ", ".join(links)}


def next_link(request: Request[Any, Any, Any], max_id: int | None, limit: int) -> dict[str, str]:
    """A `next` link only, for lists paged one way (followers, following)."""
    if max_id is None:
        return {}
    page = KeyedPage([KeyedItem(max_id, 0)], has_older=True)
    return {"Link": link_header(request, page, limit)["Link"].split(", ")[0]}
