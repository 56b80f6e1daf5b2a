"""Notifications: who followed you or asked to, liked your post, commented, replied to you
or mentioned you.

The writes that cause them (posts, social, comments) record a `notify` job in the outbox in
their own transaction; the job calls `deliver`, which derives the recipients from the rows
as they are now, so it is idempotent: every insert is ON CONFLICT DO NOTHING against the
unique index over (recipient, actor, kind, post, comment), and a retry or a repeated event
(like, unlike, like again) adds nothing. Nobody is notified of their own actions.
"""

from __future__ import annotations

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import social
from domain.core import events
from domain.core.sql import fetch, sql
from domain.core.visibility import visible_to
from domain.posts import extract_mentions

# Each event's recipients come from the rows themselves; an undone like or follow (or a
# deleted post or comment) by the time the job runs notifies nobody.
_FOLLOW = """
INSERT INTO notification (recipient, actor, kind, post, comment)
SELECT f.followed, f.follower, 'follow', NULL, NULL FROM follow f
WHERE f.follower = {actor} AND f.followed = {user}
ON CONFLICT DO NOTHING RETURNING id, recipient
"""
# The request's notification names it, and goes when it is accepted, rejected or withdrawn.
_FOLLOW_REQUEST = """
INSERT INTO notification (recipient, actor, kind, follow_request)
SELECT r.followed, r.follower, 'follow_request', r.id FROM follow_request r
WHERE r.follower = {actor} AND r.followed = {user}
ON CONFLICT DO NOTHING RETURNING id, recipient
"""
_LIKE = """
INSERT INTO notification (recipient, actor, kind, post, comment)
SELECT p.author, l."user", 'like', p.id, NULL FROM post_like l JOIN post p ON p.id = l.post
WHERE l."user" = {actor} AND l.post = {post} AND p.author <> l."user"
ON CONFLICT DO NOTHING RETURNING id, recipient
"""
# A comment notifies the post's author ("comment") and, for a reply, the author of the
# comment answered ("reply"); someone who is both gets the reply only.
_COMMENT = """
INSERT INTO notification (recipient, actor, kind, post, comment)
SELECT p.author, c.author, 'comment', c.post, c.id
FROM comment c JOIN post p ON p.id = c.post LEFT JOIN comment parent ON parent.id = c.parent
WHERE c.id = {comment} AND p.author <> c.author AND parent.author IS DISTINCT FROM p.author
UNION ALL
SELECT parent.author, c.author, 'reply', c.post, c.id
FROM comment c JOIN comment parent ON parent.id = c.parent
WHERE c.id = {comment} AND parent.author <> c.author
ON CONFLICT DO NOTHING RETURNING id, recipient
"""
# A mention across a block (either way) notifies nobody, nor does one that its account may
# not see (domain.core.visibility; the accounts a post mentions always may).
_MENTION = """
INSERT INTO notification (recipient, actor, kind, post, comment)
SELECT u.id, p.author, 'mention', p.id, NULL
FROM post p JOIN agora_user u ON lower(u.username) = ANY({names})
WHERE p.id = {post} AND u.id <> p.author AND {unblocked} AND {visible}
ON CONFLICT DO NOTHING RETURNING id, recipient
"""


async def _insert(statement: QueryString) -> int:
    try:
        rows = await fetch(statement)
    except ForeignKeyViolationError:  # a row it refers to was deleted meanwhile
        return 0
    for row in rows:
        await events.publish(
            events.Event(events.EventName.NOTIFICATION, row["id"], (row["recipient"],))
        )
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

    Events: `follow` (actor_id followed user_id), `follow_request` (actor_id asked to
    follow user_id), `like` (actor_id liked post_id),
    `comment` (comment_id was written) and `mention` (post_id was published).
    """
    if kind == "follow" and actor_id is not None and user_id is not None:
        return await _insert(sql(_FOLLOW, actor=actor_id, user=user_id))
    if kind == "follow_request" and actor_id is not None and user_id is not None:
        return await _insert(sql(_FOLLOW_REQUEST, actor=actor_id, user=user_id))
    if kind == "like" and actor_id is not None and post_id is not None:
        return await _insert(sql(_LIKE, actor=actor_id, post=post_id))
    if kind == "comment" and comment_id is not None:
        return await _insert(sql(_COMMENT, comment=comment_id))
    if kind == "mention" and post_id is not None:
        return await _mention(post_id)
    raise ValueError(f"not a notification event: {kind}")


async def _mention(post_id: int) -> int:
    rows = await fetch(sql("SELECT text FROM post WHERE id = {post}", post=post_id))
    names = extract_mentions(rows[0]["text"]) if rows else []
    if not names:
        return 0
    unblocked = social.unblocked(QueryString("u.id"), QueryString("p.author"))
    visible = visible_to(QueryString("u.id"))
    return await _insert(
        sql(_MENTION, names=names, post=post_id, unblocked=unblocked, visible=visible)
    )
