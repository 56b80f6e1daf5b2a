"""The main nav's counts: read once per full page, before its handler runs, and kept in the
request's state, where the base template and the pages that change them find them."""

from __future__ import annotations

from typing import Any

from litestar import Request

from domain import notifications
from web.auth import current_user
from web.htmx import renders_nav

UNREAD_NOTIFICATIONS_STATE_KEY = "unread_notifications"
UNREAD_MESSAGES_STATE_KEY = "unread_messages"
FOLLOW_REQUESTS_WAITING_STATE_KEY = "follow_requests_waiting"


async def count_for_nav(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: the nav's unread notifications, unread conversations and (for a
    locked account) waiting follow requests, in one statement, for a member's full pages only
    (fragments, forms, files and the API never render the nav, so they skip it)."""
    if not renders_nav(request) or (user := current_user(request)) is None:
        return
    counts = await notifications.nav_counts(user.id, user.locked)
    request.state[UNREAD_NOTIFICATIONS_STATE_KEY] = counts.unread_notifications
    request.state[UNREAD_MESSAGES_STATE_KEY] = counts.unread_conversations
    if counts.follow_requests_waiting is not None:
        request.state[FOLLOW_REQUESTS_WAITING_STATE_KEY] = counts.follow_requests_waiting
