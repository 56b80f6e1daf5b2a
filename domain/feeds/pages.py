"""Feed pages as the web pages show them: newest first, keyset-paged on (time, id), never
OFFSET. Home comes from the reader's Redis timeline when it can answer (domain.timelines),
else from PostgreSQL; every other feed is one PostgreSQL statement per page."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from piccolo.querystring import QueryString

from domain.core.errors import ValidationFailed
from domain.core.numbers import BIGSERIAL, parse_number
from domain.core.sql import NOTHING, fetch, sql
from domain.core.visibility import LISTED
from domain.feeds.cards import (
    POST_ID,
    POST_TIME,
    PostCard,
    card_from_row,
    cards_query,
    cards_where,
)
from domain.feeds.home import fill_home
from domain.feeds.tags import has_tag

PAGE_SIZE = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BAD_CURSOR = "That page link is not valid; go back to the first page."


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort time and id of its last item."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        # Whole microseconds since the epoch: exact, unlike a float timestamp.
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        raw = f"{micros}.{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """Parse a cursor from a URL; raises ValidationFailed for anything malformed. Both
        parts follow domain.core.numbers' rule; every feed is keyed by a bigserial id."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            micros, id_text = raw.split(".")
            moment = EPOCH + timedelta(microseconds=parse_number(micros, "cursor", BIGSERIAL))
            return cls(moment, parse_number(id_text, "cursor", BIGSERIAL))
        except (ValueError, binascii.Error, OverflowError) as error:
            # MalformedNumber and UnicodeDecodeError are ValueErrors.
            raise ValidationFailed({"cursor": BAD_CURSOR}) from error


@dataclass(frozen=True)
class FeedPage:
    cards: list[PostCard]
    next_cursor: Cursor | None  # None on the last page


async def _page(
    viewer_id: int | None,
    before: Cursor | None,
    condition: QueryString,
    joins: QueryString = NOTHING,
    sort_time: QueryString = POST_TIME,
    sort_id: QueryString = POST_ID,
) -> FeedPage:
    older = NOTHING
    if before is not None:
        older = sql(
            " AND ({sort_time}, {sort_id}) < ({time}, {id})",
            sort_time=sort_time,
            sort_id=sort_id,
            time=before.created_at,
            id=before.id,
        )
    rows = await fetch(
        sql(
            "{cards}{older} ORDER BY {sort_time} DESC, {sort_id} DESC LIMIT {limit}",
            cards=cards_query(viewer_id, condition, joins, sort_time, sort_id),
            older=older,
            sort_time=sort_time,
            sort_id=sort_id,
            limit=PAGE_SIZE + 1,
        )
    )
    cards = [card_from_row(row) for row in rows[:PAGE_SIZE]]
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = Cursor(last["sort_time"], last["sort_id"])
    return FeedPage(cards, next_cursor)


async def home_feed(viewer_id: int, before: Cursor | None = None) -> FeedPage:
    """Posts by the people the viewer follows, and the viewer's own, ordered by id (which
    grows with time): from the Redis timeline when it can answer, else (Redis down, slow, or
    the page too deep) from the same home query in PostgreSQL that Redis caches. A page is
    full whenever older posts the viewer may see exist (domain.feeds.home)."""
    cards = await fill_home(
        viewer_id,
        before.id if before else None,
        PAGE_SIZE + 1,
        partial(cards_where, viewer_id=viewer_id),
    )
    next_cursor = None
    if len(cards) > PAGE_SIZE:
        last = cards[PAGE_SIZE - 1]
        next_cursor = Cursor(last.created_at, last.id)
    return FeedPage(cards[:PAGE_SIZE], next_cursor)


async def public_feed(viewer_id: int | None, before: Cursor | None = None) -> FeedPage:
    """Everyone's public posts, newest first (unlisted ones stay out of the listings)."""
    return await _page(viewer_id, before, LISTED)


async def profile_feed(
    author_id: int, viewer_id: int | None, before: Cursor | None = None
) -> FeedPage:
    """One author's posts that the viewer may see, newest first."""
    return await _page(viewer_id, before, sql("p.author = {author}", author=author_id))


async def tag_feed(tag: str, viewer_id: int | None, before: Cursor | None = None) -> FeedPage:
    """Public posts carrying #tag (a normalized tag: letters, digits, underscores), any case."""
    return await _page(
        viewer_id, before, sql("{tag} AND {listed}", tag=has_tag(tag), listed=LISTED)
    )


async def bookmarks_feed(viewer_id: int, before: Cursor | None = None) -> FeedPage:
    """The viewer's bookmarks, most recently bookmarked first."""
    return await _page(
        viewer_id,
        before,
        sql('mine."user" = {viewer}', viewer=viewer_id),
        joins=QueryString("JOIN bookmark mine ON mine.post = p.id"),
        sort_time=QueryString("mine.created_at"),
        sort_id=QueryString("mine.id"),
    )
