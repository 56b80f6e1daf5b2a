"""Pair tables (follows, blocks): one row per ordered pair of members."""

from __future__ import annotations

from typing import Any

from domain.tables import User


async def both_ways(
    table: str, source: str, target: str, viewer_id: int, other_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of the other members the viewer is paired with as `source` (the viewer follows
    or blocks them), and which are paired with the viewer as `target` (they follow or block
    the viewer): one query for both directions."""
    if not other_ids:
        return set(), set()
    rows: list[dict[str, Any]] = await User.raw(
        f"SELECT {source} AS source, {target} AS target FROM {table}"
        f" WHERE ({source} = {{}} AND {target} = ANY({{}}))"
        f" OR ({target} = {{}} AND {source} = ANY({{}}))",
        viewer_id,
        other_ids,
        viewer_id,
        other_ids,
    )
    outgoing = {row["target"] for row in rows if row["source"] == viewer_id}
    incoming = {row["source"] for row in rows if row["target"] == viewer_id}
    return outgoing, incoming
