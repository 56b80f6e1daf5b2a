"""How two members stand: who follows, asks to follow and blocks whom, read from the pair
tables (one row per ordered pair) in one statement for both directions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.core.sql import fetch, sql

# (table, source column, target column) spelled out per pair table, so no statement is
# assembled from names.
_BOTH_WAYS = {
    "follow": (
        "SELECT follower AS source, followed AS target FROM follow"
        " WHERE (follower = {viewer} AND followed = ANY({others}))"
        " OR (followed = {viewer} AND follower = ANY({others}))"
    ),
    "follow_request": (
        "SELECT follower AS source, followed AS target FROM follow_request"
        " WHERE (follower = {viewer} AND followed = ANY({others}))"
        " OR (followed = {viewer} AND follower = ANY({others}))"
    ),
    "block": (
        "SELECT blocker AS source, blocked AS target FROM block"
        " WHERE (blocker = {viewer} AND blocked = ANY({others}))"
        " OR (blocked = {viewer} AND blocker = ANY({others}))"
    ),
}


async def both_ways(
    pair: Literal["follow", "follow_request", "block"], viewer_id: int, other_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of the other members the viewer follows (or blocks), and which follow (or
    block) the viewer: one query for both directions."""
    if not other_ids:
        return set(), set()
    rows = await fetch(sql(_BOTH_WAYS[pair], viewer=viewer_id, others=other_ids))
    outgoing = {row["target"] for row in rows if row["source"] == viewer_id}
    incoming = {row["source"] for row in rows if row["target"] == viewer_id}
    return outgoing, incoming


@dataclass(frozen=True)
class BlockState:
    """How a viewer and another member block each other."""

    blocking: bool  # the viewer blocks the other
    blocked_by: bool  # the other blocks the viewer

    @property
    def either_way(self) -> bool:
        return self.blocking or self.blocked_by


async def block_states(viewer_id: int, other_ids: list[int]) -> dict[int, BlockState]:
    """How the viewer and each of the other accounts block each other, keyed by account."""
    blocking, blocked_by = await both_ways("block", viewer_id, other_ids)
    return {
        other: BlockState(blocking=other in blocking, blocked_by=other in blocked_by)
        for other in other_ids
    }


@dataclass(frozen=True)
class Relationship:
    """Mastodon's Relationship, as far as Agora has it
    (https://docs.joinmastodon.org/entities/Relationship/)."""

    following: bool
    followed_by: bool
    blocking: bool
    blocked_by: bool
    requested: bool = False  # the viewer asks to follow the other (a locked account)
    requested_by: bool = False  # the other asks to follow the viewer


async def relationships(viewer_id: int, other_ids: list[int]) -> dict[int, Relationship]:
    """How the viewer and each of the other accounts follow, ask to follow and block one
    another."""
    following, followed_by = await both_ways("follow", viewer_id, other_ids)
    requested, requested_by = await both_ways("follow_request", viewer_id, other_ids)
    blocked = await block_states(viewer_id, other_ids)
    return {
        other: Relationship(
            following=other in following,
            followed_by=other in followed_by,
            blocking=blocked[other].blocking,
            blocked_by=blocked[other].blocked_by,
            requested=other in requested,
            requested_by=other in requested_by,
        )
        for other in other_ids
    }
