"""/api/v1/notifications: the caller's notifications in Mastodon's shape, paged by id.

Agora's kinds map onto Mastodon's types: a follow is `follow`, a request to follow a locked
account `follow_request`, a like `favourite`, and a comment on one's post, a reply to one's
comment or a post naming one are all `mention`, with the comment or post as the status (that
is what Mastodon sends for a reply too).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from domain import notifications
from domain.core.errors import NotFound
from domain.core.numbers import BIGSERIAL, path_id
from domain.notifications import NotificationItem
from web.api import entities
from web.api.auth import me, needs
from web.api.paging import Window, link_header
from web.api.params import read_params
from web.api.serializers import Presenter, StatusRef, iso

MASTODON_TYPES = {
    "follow": "follow",
    "follow_request": "follow_request",
    "like": "favourite",
    "comment": "mention",
    "reply": "mention",
    "mention": "mention",
}
# The kinds about the actor alone, which carry no status.
ABOUT_ACCOUNTS = ("follow", "follow_request")
NOTIFICATION_PATH = "/{notification_id:str}"
NOT_FOUND = "Record not found"


def kinds_for(types: list[str], exclude_types: list[str]) -> list[str]:
    """Agora's kinds for Mastodon's `types[]` (none: all) minus `exclude_types[]`; types
    Agora does not have (reblog, poll, ...) simply match nothing."""
    return [
        kind
        for kind, shown in MASTODON_TYPES.items()
        if (not types or shown in types) and shown not in exclude_types
    ]


async def _status(presenter: Presenter, item: NotificationItem) -> entities.Status | None:
    """The comment for a comment or reply, the post for a like or mention; None if hidden."""
    try:
        if item.comment_id is not None:
            return await presenter.status(StatusRef(comment_id=item.comment_id))
        if item.post_id is not None:
            return await presenter.post(item.post_id)
    except NotFound:
        return None
    return None


async def present(
    presenter: Presenter, items: list[NotificationItem]
) -> list[entities.Notification]:
    """Entities in the items' order; one whose status is gone or hidden is left out."""
    accounts = {
        int(account.id): account
        for account in await presenter.accounts_by_ids([item.actor_id for item in items])
    }
    found = []
    for item in items:
        status = await _status(presenter, item)
        if item.actor_id not in accounts or (item.kind not in ABOUT_ACCOUNTS and status is None):
            continue
        found.append(
            entities.Notification(
                id=str(item.id),
                type=MASTODON_TYPES[item.kind],
                group_key=f"ungrouped-{item.id}",
                created_at=iso(item.created_at),
                account=accounts[item.actor_id],
                status=status,
            )
        )
    return found


class NotificationsController(Controller):
    path = "/v1/notifications"
    tags = ["notifications"]

    @get("/", **needs("read:notifications"))
    async def index(
        self, request: Request[Any, Any, Any], window: Window
    ) -> Response[list[entities.Notification]]:
        """The caller's notifications, newest first, paged by notification id (`max_id`,
        `since_id`, `min_id`, `limit`, `Link` headers); `types[]` keeps only those types,
        `exclude_types[]` leaves them out (follow, follow_request, favourite, mention)."""
        user = me(request)
        params = await read_params(request)
        kinds = kinds_for(params.get_list("types"), params.get_list("exclude_types"))
        page = await notifications.notification_ids(user.id, window, kinds)
        items = await notifications.by_ids(user.id, [entry.item_id for entry in page.items])
        ordered = [items[entry.item_id] for entry in page.items if entry.item_id in items]
        found = await present(Presenter(request, user), ordered)
        return Response(found, headers=link_header(request, page, window.limit))

    @get(NOTIFICATION_PATH, **needs("read:notifications"))
    async def show(
        self, request: Request[Any, Any, Any], notification_id: FromPath[str]
    ) -> entities.Notification:
        """One of the caller's notifications."""
        user = me(request)
        wanted = path_id(notification_id, BIGSERIAL, NOT_FOUND)
        item = (await notifications.by_ids(user.id, [wanted])).get(wanted)
        found = await present(Presenter(request, user), [item] if item else [])
        if not found:
            raise NotFound(NOT_FOUND)
        return found[0]

    @post("/clear", status_code=HTTP_200_OK, **needs("write:notifications"))
    async def clear(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Delete all of the caller's notifications."""
        await notifications.clear(me(request).id)
        return {}

    @post(f"{NOTIFICATION_PATH}/dismiss", status_code=HTTP_200_OK, **needs("write:notifications"))
    async def dismiss(
        self, request: Request[Any, Any, Any], notification_id: FromPath[str]
    ) -> dict[str, Any]:
        """Delete one of the caller's notifications (404 if it is not theirs)."""
        wanted = path_id(notification_id, BIGSERIAL, NOT_FOUND)
        if not await notifications.dismiss(me(request).id, wanted):
            raise NotFound(NOT_FOUND)
        return {}
