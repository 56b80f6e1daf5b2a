"""The counts every full page's nav shows beside its links: unread notifications, unread
conversations and, for a locked account, the follow requests waiting. Read in one statement,
since every page pays for it."""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.querystring import QueryString

from domain.core.sql import fetch, sql
from domain.notifications.inbox import unread_count_query
from domain.posts.conversations import unread_conversations_query
from domain.social.follow_requests import requests_waiting_query


@dataclass(frozen=True)
class NavCounts:
    """What the nav's badges say; `follow_requests_waiting` is None for an account that is
    not locked (it has no requests: unlocking accepts them all)."""

    unread_notifications: int
    unread_conversations: int
    follow_requests_waiting: int | None


async def nav_counts(user_id: int, locked: bool) -> NavCounts:
    """The user's nav counts, as `unread_count`, `domain.posts.unread_count` and
    `domain.social.count_requests_waiting` count them, in one round trip."""
    waiting = (
        sql("({count})", count=requests_waiting_query(user_id)) if locked else QueryString("NULL")
    )
    rows = await fetch(
        sql(
            "SELECT ({notifications}) AS notifications, ({conversations}) AS conversations,"
            " {waiting} AS waiting",
            notifications=unread_count_query(user_id),
            conversations=unread_conversations_query(user_id),
            waiting=waiting,
        )
    )
    row = rows[0]
    return NavCounts(row["notifications"], row["conversations"], row["waiting"])
