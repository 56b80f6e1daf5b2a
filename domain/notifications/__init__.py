"""Notifications: who followed you or asked to, liked your post, commented, replied to you
or mentioned you; delivered by the `notify` job from events recorded with the change, read by the
notifications page, the nav's unread count and the API."""

from domain.notifications.badges import NavCounts, nav_counts
from domain.notifications.delivery import deliver
from domain.notifications.inbox import (
    PAGE_SIZE,
    VERBS,
    NotificationItem,
    NotificationPage,
    by_ids,
    clear,
    count_unread,
    dismiss,
    mark_all_read,
    notification_ids,
    page,
    unread_count,
)
from domain.notifications.tables import KINDS, Notification

__all__ = [
    "KINDS",
    "PAGE_SIZE",
    "VERBS",
    "NavCounts",
    "Notification",
    "NotificationItem",
    "NotificationPage",
    "by_ids",
    "clear",
    "count_unread",
    "deliver",
    "dismiss",
    "mark_all_read",
    "nav_counts",
    "notification_ids",
    "page",
    "unread_count",
]
