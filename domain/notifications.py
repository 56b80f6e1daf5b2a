"""Notifications: who followed you, liked your post, commented, replied to you or mentioned you.

The writes that cause them (posts, social, comments) record a `notify` job in the outbox in
their own transaction; the job calls `deliver`, which derives the recipients from the rows
as they are now, so it is idempotent: every insert is ON CONFLICT DO NOTHING against the
unique index over (recipient, actor, kind, post, comment), and a retry or a repeated event
(like, unlike, like again) adds nothing. Nobody is notified of their own actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncpg.exceptions import ForeignKeyViolationError

from domain.block_checks import unblocked
from domain.notification_tables import Notification
from domain.text import extract_mentions

PAGE_SIZE = 20

_INSERT = "INSERT INTO notification (recipient, actor, kind, post, comment) "
_CONFLICT = " ON CONFLICT DO NOTHING RETURNING id"
# Each event's recipients come from the rows themselves; an undone like or follow (or a
# deleted post or comment) by the time the job runs notifies nobody.
_FOLLOW = (
    _INSERT + "SELECT f.followed, f.follower, 'follow', NULL, NULL FROM follow f"
    " WHERE f.follower = {} AND f.followed = {}" + _CONFLICT
)
_LIKE = (
    _INSERT + "SELECT p.author, l.\"user\", 'like', p.id, NULL"
    " FROM post_like l JOIN post p ON p.id = l.post"
    ' WHERE l."user" = {} AND l.post = {} AND p.author <> l."user"' + _CONFLICT
)
# A comment notifies the post's author ("comment") and, for a reply, the author of the
# comment answered ("reply"); someone who is both gets the reply only.
_COMMENT = (
    _INSERT + "SELECT p.author, c.author, 'comment', c.post, c.id"
    " FROM comment c JOIN post p ON p.id = c.post LEFT JOIN comment parent ON parent.id = c.parent"
    " WHERE c.id = {} AND p.author <> c.author AND parent.author IS DISTINCT FROM p.author"
    " UNION ALL"
    " SELECT parent.author, c.author, 'reply', c.post, c.id"
    " FROM comment c JOIN comment parent ON parent.id = c.parent"
    " WHERE c.id = {} AND parent.author <> c.author" + _CONFLICT
)
# A mention across a block (either way) notifies nobody.
_MENTION = (
    _INSERT + "SELECT u.id, p.author, 'mention', p.id, NULL"
    " FROM post p JOIN agora_user u ON lower(u.username) = ANY({})"
    f" WHERE p.id = {{}} AND u.id <> p.author AND {unblocked('u.id', 'p.author')}" + _CONFLICT
)


async def _insert(sql: str, *params: Any) -> int:
    try:
        rows: list[dict[str, Any]] = await Notification.raw(sql, *params)
    except ForeignKeyViolationError:  # a row it refers to was deleted meanwhile
        return 0
    return len(rows)


async def deliver(
    kind: str,
    *,
    actor_id: int | None = None,
    post_id: int | None = None,
    comment_id: int | None = None,
    user_id: int | None = None,
) -> int:
    """Create the notifications an event calls for; returns how many were new.

    Events: `follow` (actor_id followed user_id), `like` (actor_id liked post_id),
    `comment` (comment_id was written) and `mention` (post_id was published).
    """
    if kind == "follow" and actor_id is not None and user_id is not None:
        return await _insert(_FOLLOW, actor_id, user_id)
    if kind == "like" and actor_id is not None and post_id is not None:
        return await _insert(_LIKE, actor_id, post_id)
    if kind == "comment" and comment_id is not None:
        return await _insert(_COMMENT, comment_id, comment_id)
    if kind == "mention" and post_id is not None:
        return await _mention(post_id)
    raise ValueError(f"not a notification event: {kind}")


async def _mention(post_id: int) -> int:
    rows: list[dict[str, Any]] = await Notification.raw(
        "SELECT text FROM post WHERE id = {}", post_id
    )
    names = extract_mentions(rows[0]["text"]) if rows else []
    return await _insert(_MENTION, names, post_id) if names else 0


# ---------------------------------------------------------------- reading

VERBS = {
    "follow": "followed you",
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
# from either side of a block made after them.
_SELECT = """
SELECT n.id, n.kind, n.created_at, n.read_at, n.post AS post_id, n.comment AS comment_id,
       a.id AS actor_id, a.username AS actor_username, a.display_name AS actor_display_name,
       pa.username AS post_author_username, p.text AS post_text, c.text AS comment_text
FROM notification n
JOIN agora_user a ON a.id = n.actor
LEFT JOIN post p ON p.id = n.post
LEFT JOIN agora_user pa ON pa.id = p.author
LEFT JOIN comment c ON c.id = n.comment
WHERE n.recipient = {} AND NOT a.is_suspended AND """ + unblocked("n.recipient", "n.actor")


def _item(row: dict[str, Any]) -> NotificationItem:
    return NotificationItem(**{name: row[name] for name in NotificationItem.__dataclass_fields__})


async def page(
    recipient_id: int, before_id: int | None = None, limit: int = PAGE_SIZE
) -> NotificationPage:
    """The recipient's notifications newest first, keyset-paged by id (never OFFSET)."""
    rows: list[dict[str, Any]] = await Notification.raw(
        _SELECT + " AND ({}::bigint IS NULL OR n.id < {}) ORDER BY n.id DESC LIMIT {}",
        recipient_id,
        before_id,
        before_id,
        limit + 1,
    )
    items = [_item(row) for row in rows[:limit]]
    return NotificationPage(items, items[-1].id if len(rows) > limit else None)


async def by_ids(recipient_id: int, ids: list[int]) -> dict[int, NotificationItem]:
    """The recipient's visible notifications among these ids, keyed by id."""
    if not ids:
        return {}
    rows: list[dict[str, Any]] = await Notification.raw(
        _SELECT + " AND n.id = ANY({})", recipient_id, ids
    )
    return {row["id"]: _item(row) for row in rows}


# Every full page's nav shows this count, so it is one hand-written statement (see sessions).
_UNREAD_COUNT = (
    "SELECT count(*) AS unread FROM notification n JOIN agora_user actor ON actor.id = n.actor"
    " WHERE n.recipient = {} AND n.read_at IS NULL AND NOT actor.is_suspended"
    f" AND {unblocked('n.recipient', 'n.actor')}"
)


async def unread_count(recipient_id: int) -> int:
    """How many are unread: one COUNT on the partial index of unread notifications, leaving
    out suspended accounts' and those across a block (the list hides them too)."""
    rows = await Notification.raw(_UNREAD_COUNT, recipient_id)
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
