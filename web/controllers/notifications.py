"""Notifications as a page: newest first, keyset-paged, with "Mark all as read"."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from domain import notifications
from domain.core.numbers import BIGSERIAL, optional_number
from web.auth import logged_in_user, requires_login
from web.htmx import is_htmx
from web.nav import UNREAD_NOTIFICATIONS_STATE_KEY


async def _render(
    request: Request[Any, Any, Any], template: str, before: int | None = None, **context: Any
) -> Template:
    viewer = logged_in_user(request)
    # Full pages have the count from the nav's hook already; fragments and forms do not.
    unread = request.state.get(UNREAD_NOTIFICATIONS_STATE_KEY)
    if unread is None:
        unread = await notifications.unread_count(viewer.id)
    return Template(
        template,
        context={
            "page": await notifications.page(viewer.id, before),
            "unread": unread,
            "first_page": before is None,
            **context,
        },
    )


class NotificationController(Controller):
    path = "/notifications"
    guards = [requires_login]

    @get("/")
    async def index(self, request: Request[Any, Any, Any], before: FromQuery[str] = "") -> Template:
        """Newest first, older than the notification id `before` (a bigserial) when given;
        htmx's "Older notifications" gets only the next page, in place."""
        older_than = optional_number(before, "before", BIGSERIAL)
        if older_than is not None and is_htmx(request):
            return await _render(request, "notifications/more.html", older_than)
        return await _render(request, "notifications/index.html", older_than)

    @post("/read")
    async def mark_all_read(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Without JavaScript back to the page; htmx gets the list again, all read."""
        await notifications.mark_all_read(logged_in_user(request).id)
        if not is_htmx(request):
            return Redirect("/notifications", status_code=303)
        return await _render(
            request, "notifications/marked_read.html", announcement="All notifications read."
        )
