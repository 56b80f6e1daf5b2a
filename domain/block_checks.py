"""Whether a block stands between two members: as SQL for the queries that must leave the
other's posts, comments and mentions out, and as checks that refuse an action across it.

Kept apart from `domain.blocks` (making and lifting blocks, which needs `domain.social` to end
the follows), so that `domain.social`, `domain.feeds`, `domain.comments` and
`domain.notifications` can ask without importing what they are used by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.table import Table

from domain import pairs
from domain.errors import Forbidden
from domain.tables import Block

# One row per direction in which the two members block each other (zero, one or two rows).
_BETWEEN = (
    "SELECT blocker FROM block"
    " WHERE (blocker = {} AND blocked = {}) OR (blocker = {} AND blocked = {})"
)
# The same for the author of a post or comment, in the statement that finds the author.
_WITH_AUTHOR_OF = (
    "SELECT b.blocker FROM {table} t JOIN block b"
    " ON (b.blocker = t.author AND b.blocked = {{}}) OR (b.blocker = {{}} AND b.blocked = t.author)"
    " WHERE t.id = {{}}"
)


def unblocked(one: str, other: str) -> str:
    """SQL that is true when neither `one` nor `other` (column expressions, or `{}`
    placeholders to bind) blocks the other.

    Two NOT EXISTS rather than one with OR: each becomes an anti-join the planner can run
    on an index, (blocker, blocked) for the first and (blocked, blocker) for the second.
    """
    return (
        f"NOT EXISTS (SELECT 1 FROM block b WHERE b.blocker = {one} AND b.blocked = {other})"
        f" AND NOT EXISTS (SELECT 1 FROM block b WHERE b.blocker = {other} AND b.blocked = {one})"
    )


def outside_viewer_blocks(viewer_id: int | None, author: str) -> tuple[str, tuple[int, ...]]:
    """An ` AND ...` condition keeping rows whose author (a column) neither blocks nor is
    blocked by the viewer, with its parameters; nothing at all without a viewer.

    The viewer's few blocks are gathered once, ahead of the query, and each row is then
    checked against that short list. Written as an anti-join per row instead, the planner
    misjudges how many rows survive it and reads and sorts every candidate rather than
    walking the feed's index to the end of the page: 18 ms against 0.8 ms for a profile page
    of 1,500 posts at a million posts.
    """
    if viewer_id is None:
        return "", ()
    condition = (
        f" AND {author} <> ALL (ARRAY(SELECT blocked FROM block WHERE blocker = {{}}"
        " UNION ALL SELECT blocker FROM block WHERE blocked = {}))"
    )
    return condition, (viewer_id, viewer_id)


@dataclass(frozen=True)
class BlockState:
    """How a viewer and another member block each other."""

    blocking: bool  # the viewer blocks the other
    blocked_by: bool  # the other blocks the viewer

    @property
    def either_way(self) -> bool:
        return self.blocking or self.blocked_by


def _state(viewer_id: int, rows: list[dict[str, Any]]) -> BlockState:
    blockers = {row["blocker"] for row in rows}
    return BlockState(blocking=viewer_id in blockers, blocked_by=bool(blockers - {viewer_id}))


async def state(viewer_id: int, other_id: int) -> BlockState:
    rows: list[dict[str, Any]] = await Block.raw(_BETWEEN, viewer_id, other_id, other_id, viewer_id)
    return _state(viewer_id, rows)


def refuse(found: BlockState, action: str) -> None:
    """Raise Forbidden, saying why, when a block stops the viewer doing `action`."""
    if found.blocking:
        raise Forbidden(f"You have blocked this account, so you cannot {action}. Unblock it first.")
    if found.blocked_by:
        raise Forbidden(f"This account has blocked you, so you cannot {action}.")


async def refuse_if_blocked(actor_id: int, other_id: int, action: str) -> None:
    refuse(await state(actor_id, other_id), action)


async def state_with_author(actor_id: int, table: type[Table], row_id: int) -> BlockState:
    """How the actor and the author of this post or comment (`table` is Post or Comment)
    block each other; no block if the row is missing, for the caller to report that."""
    rows: list[dict[str, Any]] = await Block.raw(
        _WITH_AUTHOR_OF.format(table=table._meta.tablename), actor_id, actor_id, row_id
    )
    return _state(actor_id, rows)


async def refuse_if_blocked_by_author(
    actor_id: int, table: type[Table], row_id: int, action: str
) -> None:
    refuse(await state_with_author(actor_id, table, row_id), action)


async def among(viewer_id: int, other_ids: list[int]) -> dict[int, BlockState]:
    """How the viewer and each of the other accounts block each other."""
    blocking, blocked_by = await pairs.both_ways(
        "block", "blocker", "blocked", viewer_id, other_ids
    )
    return {
        other: BlockState(blocking=other in blocking, blocked_by=other in blocked_by)
        for other in other_ids
    }
