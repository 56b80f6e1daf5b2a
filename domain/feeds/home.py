"""Filling a page of the home feed with posts its reader may see.

The Redis timeline holds ids, and any of them can be invisible to its reader by the time it
is read: its author suspended (kept on purpose, to come back on reinstatement), the post
deleted before the retraction job ran, a block. A page is therefore filled from the next
candidates until it is full or they run out, in at most REDIS_ROUNDS reads of the timeline
(each asking for twice as many as the last), and then, if still short, from the home query
in PostgreSQL, which leaves out suspended authors itself. So a page is never short while
older visible posts exist, and costs a bounded number of round trips.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from piccolo.querystring import QueryString

from domain import timelines
from domain.core import redis_guard
from domain.core.paging import IdRange
from domain.core.sql import sql

REDIS_ROUNDS = 3

T = TypeVar("T")
# Given a condition on post `p`, the items of the matching posts the viewer may see, keyed
# by post id: cards for pages (feeds.cards_where), the ids themselves for the API.
Loader = Callable[[QueryString], Awaitable[Mapping[int, T]]]


async def fill_home(viewer_id: int, before_id: int | None, count: int, load: Loader[T]) -> list[T]:
    """Up to `count` items of the viewer's home feed older than `before_id` (all when None),
    newest first; fewer only when no more exist. Costs at most REDIS_ROUNDS Redis reads and
    loads, and one more load reading the home query in PostgreSQL in the same statement."""
    found: list[T] = []
    cursor = before_id
    if guard := redis_guard.active():
        for round_number in range(REDIS_ROUNDS):
            wanted = (count - len(found)) << round_number
            ids = await timelines.page_ids(guard, viewer_id, cursor, wanted)
            if ids is None:  # Redis cannot answer, or the page lies past the kept timeline
                break
            found += _newest_first(await load(sql("p.id = ANY({ids})", ids=ids)))
            if len(found) >= count or len(ids) < wanted:
                return found[:count]
            cursor = ids[-1]
    # home_query reads one row more than its limit.
    home = timelines.home_query(viewer_id, IdRange(max_id=cursor), count - len(found) - 1)
    return found + _newest_first(
        await load(sql("p.id IN (SELECT item_id FROM ({home}) home)", home=home))
    )


def _newest_first(loaded: Mapping[int, T]) -> list[T]:
    # Post ids grow with time, and the home feed is ordered by them.
    return [loaded[post_id] for post_id in sorted(loaded, reverse=True)]
