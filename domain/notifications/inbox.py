"""Reading notifications: the list (pages and API), one by id, the unread count every page's
nav shows, marking read, dismissing and clearing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.querystring import QueryString

from domain import social
from domain.core.paging import IdRange, KeyedPage, KeyedSource, keyed_page
from domain.core.sql import fetch, sql
from domain.core.visibility import visible_to
from domain.notifications.tables import Notification

PAGE_SIZE = 20

VERBS = {
    "follow": "followed you",
    "follow_request": "asked to follow you",
    "like": "liked your post",
    "comment": "commented on your post",
    "reply": "replied to your comment",
    "mention": "mentioned you in a post",
}


@dataclass(frozen=True)
class NotificationItem:
    """A notification as shown: who did what, to which post or comment, and when."""

    id: int
    kind: str
    created_at: datetime
    read_at: datetime | None
    actor_id: int
    actor_username: str
    actor_display_name: str
    actor_avatar: str | None  # the stored image's URL, None for the placeholder
    post_id: int | None
    post_author_username: str | None
    post_text: str | None
    comment_id: int | None
    comment_text: str | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def verb(self) -> str:
        return VERBS[self.kind]

    @property
    def permalink(self) -> str | None:
        """The post's page, at the comment for a comment or reply; None for a follow."""
        if self.post_id is None or self.post_author_username is None:
            return None
        anchor = f"#comment-{self.comment_id}" if self.comment_id is not None else ""
        return f"/@{self.post_author_username}/{self.post_id}{anchor}"


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationItem]
    next_before: int | None  # pass back as `before` for the next (older) page; None at the end


# Suspended actors' notifications are hidden, as their posts and profiles are; so are those
# from either side of a block made after them, and those about a post the recipient may not
# see (now: a follow may have ended since), which say nothing of it.
_SELECT = """
SELECT n.id, n.kind, n.created_at, n.read_at, n.post AS post_id, n.comment AS comment_id,
       a.id AS actor_id, a.username AS actor_username, a.display_name AS actor_display_name,
       a.avatar AS actor_avatar,
       pa.username AS post_author_username, p.text AS post_text, c.text AS comment_text
FROM notification n
JOIN agora_user a ON a.id = n.actor
LEFT JOIN post p ON p.id = n.post
LEFT JOIN agora_user pa ON pa.id = p.author
LEFT JOIN comment c ON c.id = n.comment
WHERE n.recipient = {recipient} AND NOT a.is_suspended AND {unblocked} AND {post_seen} {which}
"""
_BETWEEN_RECIPIENT_AND_ACTOR = QueryString("n.recipient"), QueryString("n.actor")


def _post_seen(recipient_id: int) -> QueryString:
    """A condition on notification `n`, with its post `p` left-joined: it is about no post,
    or about one the recipient may see."""
    return sql("(n.post IS NULL OR {visible})", visible=visible_to(recipient_id))


def _visible(recipient_id: int, which: QueryString) -> QueryString:
    return sql(
        _SELECT,
        recipient=recipient_id,
        unblocked=social.unblocked(*_BETWEEN_RECIPIENT_AND_ACTOR),
        post_seen=_post_seen(recipient_id),
        which=which,
    )


def _item(row: dict[str, Any]) -> NotificationItem:
    return NotificationItem(**{name: row[name] for name in NotificationItem.__dataclass_fields__})


async def page(
    recipient_id: int, before_id: int | None = None, limit: int = PAGE_SIZE
) -> NotificationPage:
    """The recipient's notifications newest first, keyset-paged by id (never OFFSET)."""
    which = sql(
        "AND ({before}::bigint IS NULL OR n.id < {before}) ORDER BY n.id DESC LIMIT {limit}",
        before=before_id,
        limit=limit + 1,
    )
    rows = await fetch(_visible(recipient_id, which))
    items = [_item(row) for row in rows[:limit]]
    return NotificationPage(items, items[-1].id if len(rows) > limit else None)


async def by_ids(recipient_id: int, ids: list[int]) -> dict[int, NotificationItem]:
    """The recipient's visible notifications among these ids, keyed by id."""
    if not ids:
        return {}
    rows = await fetch(_visible(recipient_id, sql("AND n.id = ANY({ids})", ids=ids)))
    return {row["id"]: _item(row) for row in rows}


# Every full page's nav shows this count, so it is one hand-written statement (see sessions).
_UNREAD_COUNT = (
    "SELECT count(*) AS unread FROM notification n JOIN agora_user actor ON actor.id = n.actor"
    " LEFT JOIN post p ON p.id = n.post"
    " WHERE n.recipient = {recipient} AND n.read_at IS NULL AND NOT actor.is_suspended"
    " AND {unblocked} AND {post_seen}"
)


def unread_count_query(recipient_id: int) -> QueryString:
    """The statement counting the recipient's unread notifications (one row, `unread`): one
    COUNT on the partial index of unread notifications, leaving out suspended accounts',
    those across a block and those about a post the recipient may not see (the list hides
    them too)."""
    return sql(
        _UNREAD_COUNT,
        recipient=recipient_id,
        unblocked=social.unblocked(*_BETWEEN_RECIPIENT_AND_ACTOR),
        post_seen=_post_seen(recipient_id),
    )


async def unread_count(recipient_id: int) -> int:
    """How many are unread (`unread_count_query`)."""
    rows = await fetch(unread_count_query(recipient_id))
    count: int = rows[0]["unread"]
    return count


async def mark_all_read(recipient_id: int) -> int:
    """Mark every unread notification read; returns how many were unread."""
    changed = (
        await Notification.update({Notification.read_at: datetime.now(UTC)})
        .where((Notification.recipient == recipient_id) & Notification.read_at.is_null())
        .returning(Notification.id)
    )
    return len(changed)


async def dismiss(recipient_id: int, notification_id: int) -> bool:
    """Delete one of the recipient's notifications; False if there was no such one."""
    gone = (
        await Notification.delete()
        .where((Notification.recipient == recipient_id) & (Notification.id == notification_id))
        .returning(Notification.id)
    )
    return bool(gone)


async def clear(recipient_id: int) -> int:
    """Delete all of the recipient's notifications; returns how many there were."""
    gone = (
        await Notification.delete()
        .where(Notification.recipient == recipient_id)
        .returning(Notification.id)
    )
    return len(gone)


async def notification_ids(
    recipient_id: int, window: IdRange, kinds: list[str], actor_id: int | None = None
) -> KeyedPage:
    """The recipient's notifications of these kinds (from one actor, if given), newest first
    (the API's paging); suspended actors' hidden, and those about a post the recipient may not
    see."""
    source = KeyedSource(
        key=QueryString("n.id"),
        item=QueryString("n.id"),
        rows=sql(
            "FROM notification n JOIN agora_user u ON u.id = n.actor"
            " LEFT JOIN post p ON p.id = n.post"
            " WHERE n.recipient = {recipient} AND n.kind = ANY({kinds}) AND NOT u.is_suspended"
            " AND ({actor}::int IS NULL OR n.actor = {actor}) AND {post_seen}",
            recipient=recipient_id,
            kinds=kinds,
            actor=actor_id,
            post_seen=_post_seen(recipient_id),
        ),
    )
    return await keyed_page(source, window)


async def count_unread(recipient_id: int, kinds: list[str], actor_id: int | None, cap: int) -> int:
    """How many of the recipient's unread notifications are of these kinds (and from this
    actor, if given), counting no further than `cap`; hidden ones as in `unread_count`."""
    which = sql(
        "AND n.read_at IS NULL AND n.kind = ANY({kinds})"
        " AND ({actor}::int IS NULL OR n.actor = {actor}) LIMIT {cap}",
        kinds=kinds,
        actor=actor_id,
        cap=cap,
    )
    rows = await fetch(
        sql(
            "SELECT count(*) AS unread FROM ({visible}) capped",
            visible=_visible(recipient_id, which),
        )
    )
    count: int = rows[0]["unread"]
    return count
