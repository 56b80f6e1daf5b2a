"""/api/v1/notifications and /api/v2/notifications: the caller's notifications in
Mastodon's shapes, paged by id; v2 is Mastodon 4.3's grouped notifications.

Agora's kinds map onto Mastodon's types: a follow is `follow`, a request to follow a locked
account `follow_request`, a like `favourite`, and a comment on one's post, a reply to one's
comment or a post naming one are all `mention`, with the comment or post as the status (that
is what Mastodon sends for a reply too).

Agora does not group notifications yet: every v2 group holds one notification, keyed
`ungrouped-<id>` as in v1 (Mastodon's key for a notification it leaves ungrouped). Agora
filters none either, so its notification policy accepts everyone and no request is pending.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from domain import notifications
from domain.core.errors import NotFound
from domain.core.numbers import BIGSERIAL, COUNT, SERIAL, optional_number, path_id
from domain.notifications import NotificationItem
from web.api import entities
from web.api.auth import me, needs
from web.api.errors import unprocessable
from web.api.openapi import Field
from web.api.paging import Window, link_header
from web.api.params import Params, read_params
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
GROUP_PATH = "/{group_key:str}"
UNGROUPED = "ungrouped-"
NOT_FOUND = "Record not found"
# Mastodon's unread count stops counting here: `limit` is 100 by default, at most 1000.
UNREAD_LIMIT, MAX_UNREAD_LIMIT = 100, 1000
EXPAND_ACCOUNTS = ("full", "partial_avatars")
POLICY_FIELDS = tuple(
    Field(name, "Only `accept`: Agora filters no notifications")
    for name in vars(entities.NotificationPolicy())
    if name.startswith("for_")
)


def kinds_for(types: list[str], exclude_types: list[str]) -> list[str]:
    """Agora's kinds for Mastodon's `types[]` (none: all) minus `exclude_types[]`; types
    Agora does not have (reblog, poll, ...) simply match nothing."""
    return [
        kind
        for kind, shown in MASTODON_TYPES.items()
        if (not types or shown in types) and shown not in exclude_types
    ]


def _kinds(params: Params) -> list[str]:
    return kinds_for(params.get_list("types"), params.get_list("exclude_types"))


def _actor(params: Params) -> int | None:
    """`account_id`: only notifications this account caused; 422 when it is not an id."""
    return optional_number(params.get("account_id"), "account_id", SERIAL)


async def _listed(
    request: Request[Any, Any, Any], window: Window
) -> tuple[list[entities.Notification], dict[str, str]]:
    """The page of the caller's notifications the request asks for (`types[]`,
    `exclude_types[]`, `account_id`, paging), as entities, and its `Link` header."""
    user = me(request)
    params = await read_params(request)
    page = await notifications.notification_ids(user.id, window, _kinds(params), _actor(params))
    items = await notifications.by_ids(user.id, [entry.item_id for entry in page.items])
    ordered = [items[entry.item_id] for entry in page.items if entry.item_id in items]
    found = await present(Presenter(request, user), ordered)
    return found, link_header(request, page, window.limit)


async def _unread_count(request: Request[Any, Any, Any]) -> dict[str, int]:
    """`{"count": n}`: the caller's unread notifications (`types[]`, `exclude_types[]`,
    `account_id`), counted up to `limit` (100 by default, at most 1000)."""
    params = await read_params(request)
    wanted = optional_number(params.get("limit"), "limit", COUNT)
    cap = UNREAD_LIMIT if wanted is None else max(1, min(wanted, MAX_UNREAD_LIMIT))
    count = await notifications.count_unread(me(request).id, _kinds(params), _actor(params), cap)
    return {"count": count}


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
                group_key=f"{UNGROUPED}{item.id}",
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
        `exclude_types[]` leaves them out (follow, follow_request, favourite,
        mention); `account_id` keeps
        only those the account caused."""
        found, links = await _listed(request, window)
        return Response(found, headers=links)

    @get("/unread_count", **needs("read:notifications"))
    async def unread_count(self, request: Request[Any, Any, Any]) -> dict[str, int]:
        """How many of the caller's notifications are unread (not yet seen on the
        notifications page), as `{"count": n}`, counted up to `limit` (100 by default, at
        most 1000); `types[]`, `exclude_types[]` and `account_id` as in the list."""
        return await _unread_count(request)

    @get("/requests", **needs("read:notifications"))
    async def requests(self) -> list[dict[str, Any]]:
        """Notification requests: always none, since Agora filters no notifications."""
        return []

    @get("/requests/merged", **needs("read:notifications"))
    async def requests_merged(self) -> dict[str, bool]:
        """Whether accepted requests are merged into the list: always, there are none."""
        return {"merged": True}

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


def _group(notification: entities.Notification) -> entities.NotificationGroup:
    """A group of one: Agora does not group notifications yet."""
    return entities.NotificationGroup(
        group_key=notification.group_key,
        notifications_count=1,
        type=notification.type,
        most_recent_notification_id=notification.id,
        page_min_id=notification.id,
        page_max_id=notification.id,
        latest_page_notification_at=notification.created_at,
        sample_account_ids=[notification.account.id],
        status_id=notification.status.id if notification.status else None,
    )


def grouped(found: list[entities.Notification]) -> entities.GroupedNotificationsResults:
    """The notifications as groups, with every account and status they name once."""
    accounts = {n.account.id: n.account for n in found}
    statuses = {n.status.id: n.status for n in found if n.status is not None}
    return entities.GroupedNotificationsResults(
        accounts=list(accounts.values()),
        statuses=list(statuses.values()),
        notification_groups=[_group(n) for n in found],
    )


def _notification_id(group_key: str) -> int:
    """The notification a group key names; 404 for a key Agora never gives out."""
    if not group_key.startswith(UNGROUPED):
        raise NotFound(NOT_FOUND)
    return path_id(group_key.removeprefix(UNGROUPED), BIGSERIAL, NOT_FOUND)


async def _one_group(request: Request[Any, Any, Any], group_key: str) -> entities.Notification:
    user = me(request)
    wanted = _notification_id(group_key)
    item = (await notifications.by_ids(user.id, [wanted])).get(wanted)
    found = await present(Presenter(request, user), [item] if item else [])
    if not found:
        raise NotFound(NOT_FOUND)
    return found[0]


class GroupedNotificationsController(Controller):
    """Mastodon 4.3's grouped notifications (docs.joinmastodon.org/methods/grouped_notifications)
    and the v2 notification policy."""

    path = "/v2/notifications"
    tags = ["notifications"]

    @get("/", **needs("read:notifications"))
    async def index(
        self, request: Request[Any, Any, Any], window: Window
    ) -> Response[entities.GroupedNotificationsResults]:
        """The caller's notification groups, newest first, paged by notification id as in
        v1 (`max_id`, `since_id`, `min_id`, `limit`, `Link` headers), with `types[]`,
        `exclude_types[]` and `account_id`. Every group holds one notification (Agora does not
        group yet), so `grouped_types[]` changes nothing, and neither does `include_filtered`
        (nothing is filtered); `expand_accounts` is `full` or `partial_avatars`, and accounts
        come in full either way."""
        params = await read_params(request)
        expand = params.get("expand_accounts")
        if expand is not None and expand not in EXPAND_ACCOUNTS:
            raise unprocessable("expand_accounts must be full or partial_avatars")
        found, links = await _listed(request, window)
        return Response(grouped(found), headers=links)

    @get("/unread_count", **needs("read:notifications"))
    async def unread_count(self, request: Request[Any, Any, Any]) -> dict[str, int]:
        """How many notification groups are unread: as v1's count, since every group holds
        one notification."""
        return await _unread_count(request)

    @get("/policy", **needs("read:notifications"))
    async def policy(self) -> entities.NotificationPolicy:
        """Which notifications are filtered: none (every kind of sender is `accept`)."""
        return entities.NotificationPolicy()

    @patch("/policy", **needs("write:notifications", body=POLICY_FIELDS))
    async def update_policy(self, request: Request[Any, Any, Any]) -> entities.NotificationPolicy:
        """Change the policy: only `accept` is possible (Agora filters no notifications);
        `filter` or `drop` for any field is refused with 422 rather than ignored."""
        params = await read_params(request)
        for field in POLICY_FIELDS:
            value = params.get(field.name)
            if value is not None and value != "accept":
                raise unprocessable(
                    f"{field.name} can only be accept: Agora does not filter notifications"
                )
        return entities.NotificationPolicy()

    @get(GROUP_PATH, **needs("read:notifications"))
    async def show(
        self, request: Request[Any, Any, Any], group_key: FromPath[str]
    ) -> entities.GroupedNotificationsResults:
        """One of the caller's notification groups, by its key (404 if it is not theirs)."""
        return grouped([await _one_group(request, group_key)])

    @get(f"{GROUP_PATH}/accounts", **needs("read:notifications"))
    async def accounts(
        self, request: Request[Any, Any, Any], group_key: FromPath[str]
    ) -> list[entities.Account]:
        """The accounts of the notifications in the group."""
        return [(await _one_group(request, group_key)).account]

    @post(f"{GROUP_PATH}/dismiss", status_code=HTTP_200_OK, **needs("write:notifications"))
    async def dismiss(
        self, request: Request[Any, Any, Any], group_key: FromPath[str]
    ) -> dict[str, Any]:
        """Delete the group's notifications (404 if the group is not the caller's)."""
        if not await notifications.dismiss(me(request).id, _notification_id(group_key)):
            raise NotFound(NOT_FOUND)
        return {}
