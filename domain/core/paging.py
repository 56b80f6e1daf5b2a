"""Id-keyed paging, as Mastodon clients page: `max_id`, `since_id` and `min_id` name items
rather than (time, id) cursors, so these statements select only the keys and ids of a page;
each concept then loads the items themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from domain.core.sql import NOTHING, fetch, sql

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


@dataclass(frozen=True)
class IdRange:
    """Which slice of a newest-first list to return (Mastodon's paging parameters)."""

    max_id: int | None = None  # strictly older than this
    since_id: int | None = None  # strictly newer than this, newest first
    min_id: int | None = None  # strictly newer than this, the ones right after it
    limit: int = DEFAULT_LIMIT

    @property
    def bounded_limit(self) -> int:
        """The limit asked for, within 1 to MAX_LIMIT."""
        return max(1, min(self.limit, MAX_LIMIT))

    @property
    def ascending(self) -> bool:
        """min_id asks for the items just after it: walk upwards from it, then flip."""
        return self.min_id is not None

    def bounds(self, key: QueryString) -> QueryString:
        """` AND key < max_id AND key > since_id AND key > min_id`, for the bounds given."""
        condition = NOTHING
        for bound, template in (
            (self.max_id, "{rest} AND {key} < {bound}"),
            (self.since_id, "{rest} AND {key} > {bound}"),
            (self.min_id, "{rest} AND {key} > {bound}"),
        ):
            if bound is not None:
                condition = sql(template, rest=condition, key=key, bound=bound)
        return condition

    def order(self) -> QueryString:
        return QueryString("ASC" if self.ascending else "DESC")


@dataclass(frozen=True)
class KeyedItem:
    key: int  # what the list is ordered and paged by
    item_id: int  # the post (or account, or notification) at that place


@dataclass(frozen=True)
class KeyedPage:
    items: list[KeyedItem]  # newest first
    has_older: bool  # whether a next (older) page exists


@dataclass(frozen=True)
class KeyedSource:
    """A list to page: rows of `key` and `item_id` from `rows` (FROM ... WHERE ...)."""

    key: QueryString  # the column the list is ordered and paged by
    item: QueryString  # the column naming each item
    rows: QueryString  # "FROM ... WHERE ..." with its parameters


async def keyed_page(source: KeyedSource, window: IdRange) -> KeyedPage:
    """The window's page of the source, newest first."""
    rows = await fetch(
        sql(
            "SELECT {key} AS key, {item} AS item_id {rows}{bounds}"
            " ORDER BY {key} {order} LIMIT {limit}",
            key=source.key,
            item=source.item,
            rows=source.rows,
            bounds=window.bounds(source.key),
            order=window.order(),
            limit=window.bounded_limit + 1,
        )
    )
    return page_from_rows(rows, window.bounded_limit, window.ascending)


def page_from_rows(rows: list[dict[str, Any]], limit: int, ascending: bool) -> KeyedPage:
    """A newest-first page from up to limit + 1 rows of `key` and `item_id` read in
    ascending (then flipped) or descending order."""
    items = [KeyedItem(row["key"], row["item_id"]) for row in rows[:limit]]
    if ascending:
        items.reverse()
        return KeyedPage(items, has_older=bool(items))
    return KeyedPage(items, has_older=len(rows) > limit)
