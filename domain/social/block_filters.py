"""Whether a block stands between two members: as SQL conditions for the queries that must
leave the other's posts, comments and mentions out, and as checks that refuse an action
across it, saying why."""

from __future__ import annotations

from typing import Literal

from piccolo.querystring import QueryString

from domain.core.errors import Forbidden
from domain.core.sql import NOTHING, fetch, sql
from domain.social.relationships import BlockState

# One row per direction in which the two members block each other (zero, one or two rows).
_BETWEEN = (
    "SELECT blocker FROM block"
    " WHERE (blocker = {one} AND blocked = {other}) OR (blocker = {other} AND blocked = {one})"
)
# The same for the author of a post or comment, in the statement that finds the author.
_WITH_AUTHOR_OF = {
    "post": (
        "SELECT b.blocker FROM post t JOIN block b"
        " ON (b.blocker = t.author AND b.blocked = {actor})"
        " OR (b.blocker = {actor} AND b.blocked = t.author) WHERE t.id = {row_id}"
    ),
    "comment": (
        "SELECT b.blocker FROM comment t JOIN block b"
        " ON (b.blocker = t.author AND b.blocked = {actor})"
        " OR (b.blocker = {actor} AND b.blocked = t.author) WHERE t.id = {row_id}"
    ),
}


def unblocked(one: QueryString | int, other: QueryString | int) -> QueryString:
    """A condition true when neither `one` nor `other` (columns, or member ids to bind)
    blocks the other.

    Two NOT EXISTS rather than one with OR: each becomes an anti-join the planner can run
    on an index, (blocker, blocked) for the first and (blocked, blocker) for the second.
    """
    return sql(
        "NOT EXISTS (SELECT 1 FROM block b WHERE b.blocker = {one} AND b.blocked = {other})"
        " AND NOT EXISTS (SELECT 1 FROM block b WHERE b.blocker = {other} AND b.blocked = {one})",
        one=one,
        other=other,
    )


def outside_viewer_blocks(viewer_id: int | None, author: QueryString) -> QueryString:
    """An ` AND ...` condition keeping rows whose `author` column neither blocks nor is
    blocked by the viewer; nothing at all without a viewer.

    The viewer's few blocks are gathered once, ahead of the query, and each row is then
    checked against that short list. Written as an anti-join per row instead, the planner
    misjudges how many rows survive it and reads and sorts every candidate rather than
    walking the feed's index to the end of the page: 18 ms against 0.8 ms for a profile page
    of 1,500 posts at a million posts.
    """
    if viewer_id is None:
        return NOTHING
    return sql(
        " AND {author} <> ALL (ARRAY(SELECT blocked FROM block WHERE blocker = {viewer}"
        " UNION ALL SELECT blocker FROM block WHERE blocked = {viewer}))",
        author=author,
        viewer=viewer_id,
    )


def _state(viewer_id: int, rows: list[dict[str, int]]) -> BlockState:
    blockers = {row["blocker"] for row in rows}
    return BlockState(blocking=viewer_id in blockers, blocked_by=bool(blockers - {viewer_id}))


async def state(viewer_id: int, other_id: int) -> BlockState:
    """How the viewer and the other member block each other."""
    return _state(viewer_id, await fetch(sql(_BETWEEN, one=viewer_id, other=other_id)))


def refuse(found: BlockState, action: str) -> None:
    """Raise Forbidden, saying why, when a block stops the viewer doing `action`."""
    if found.blocking:
        raise Forbidden(f"You have blocked this account, so you cannot {action}. Unblock it first.")
    if found.blocked_by:
        raise Forbidden(f"This account has blocked you, so you cannot {action}.")


async def refuse_if_blocked(actor_id: int, other_id: int, action: str) -> None:
    """Raise Forbidden when a block stands between the two members."""
    refuse(await state(actor_id, other_id), action)


async def state_with_author(
    actor_id: int, kind: Literal["post", "comment"], row_id: int
) -> BlockState:
    """How the actor and the author of this post or comment block each other; no block if
    the row is missing, for the caller to report that."""
    rows = await fetch(sql(_WITH_AUTHOR_OF[kind], actor=actor_id, row_id=row_id))
    return _state(actor_id, rows)


async def refuse_if_blocked_by_author(
    actor_id: int, kind: Literal["post", "comment"], row_id: int, action: str
) -> None:
    """Raise Forbidden when a block stands between the actor and the row's author."""
    refuse(await state_with_author(actor_id, kind, row_id), action)
