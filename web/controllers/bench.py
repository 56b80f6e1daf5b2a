"""The benchmark's ceiling: a constant page as large as a feed page, served by the same app.

`bench/load.py` divides every page's throughput and latency by this route's, measured in the
same run, so the figures say what the feed work itself costs on top of the framework, the
session middleware, the base template and the network. Registered only when
`AGORA_BENCH_ROUTES` is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar import Controller, get
from litestar.response import Template

CEILING_POSTS = 20  # domain.feeds.PAGE_SIZE, the number of cards on a feed page
_START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
_SAMPLE_TEXT = (
    "Morning walk along the river: the herons were back, the bakery had fresh rye again and "
    "the new bridge is finally open to bikes. "
)


@dataclass(frozen=True)
class CeilingCard:
    """What the ceiling page shows of one post: the same fields a real post card shows."""

    id: int
    author_username: str
    author_display_name: str
    created_at: datetime
    text: str
    like_count: int
    comment_count: int

    @property
    def permalink(self) -> str:
        return f"/@{self.author_username}/{self.id}"


def _constant_cards() -> tuple[CeilingCard, ...]:
    # Built once at import: the page must cost nothing but rendering.
    return tuple(
        CeilingCard(
            id=1_000_000 - number,
            author_username=f"user{number * 37 + 1}",
            author_display_name=f"Bench User {number * 37 + 1}",
            created_at=_START - timedelta(minutes=7 * number),
            text=_SAMPLE_TEXT,
            like_count=number * 3,
            comment_count=number % 5,
        )
        for number in range(CEILING_POSTS)
    )


CEILING_CARDS = _constant_cards()


class BenchController(Controller):
    path = "/_bench"
    include_in_schema = False

    @get("/ceiling")
    async def ceiling(self) -> Template:
        return Template("bench/ceiling.html", context={"cards": CEILING_CARDS})
