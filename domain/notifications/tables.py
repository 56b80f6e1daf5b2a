"""Notifications: someone followed you, asked to follow you, liked your post, commented,
replied or mentioned you.

Rows are written by the `notify` background job (tasks/notification_jobs.py), never by the
request that caused them. A unique index over (recipient, actor, kind, post, comment) with
NULLS NOT DISTINCT (see the migrations) makes a repeated event (like, unlike, like again)
one notification, and a check keeps people from notifying themselves.
"""

from __future__ import annotations

from piccolo.columns import BigSerial, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from domain.accounts.tables import User
from domain.posts.tables import Comment, Post
from domain.social.tables import FollowRequest

KINDS = ("follow", "follow_request", "like", "comment", "reply", "mention")


class Notification(Table, tablename="notification"):
    id = BigSerial(primary_key=True)
    recipient = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    actor = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=16, null=False)
    # The post liked, commented on or mentioning the recipient; none for a follow.
    post = ForeignKey(references=Post, on_delete=OnDelete.cascade, null=True, default=None)
    # The comment or reply, for those two kinds.
    comment = ForeignKey(references=Comment, on_delete=OnDelete.cascade, null=True, default=None)
    # The request, for a `follow_request`: accepted, rejected or withdrawn, it goes, and its
    # notification with it, as in Mastodon (an accepted one brings a `follow` instead);
    # indexed for that cascade.
    follow_request = ForeignKey(
        references=FollowRequest, on_delete=OnDelete.cascade, null=True, default=None, index=True
    )
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)

    # Spelled out because Piccolo cannot serialise an IN (...) check into a migration.
    kind_is_known = Check(
        (kind == "follow")
        | (kind == "follow_request")
        | (kind == "like")
        | (kind == "comment")
        | (kind == "reply")
        | (kind == "mention")
    )
    no_self_notification = Check(recipient != actor)


NOTIFICATION_TABLES = (Notification,)
