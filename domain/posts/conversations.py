"""Direct messages: conversations, the people of a direct thread.

Mastodon: a direct status starts or continues a conversation with its author and the
accounts it mentions. Agora keys a conversation by exactly that set of people: a direct post
to the same people continues it (the messages pages post each message so, addressed to
everyone in it), and one that names someone else starts another. Every message is seen by
everyone in the conversation, by the one rule of domain.core.visibility, since each
participant is the author of, or mentioned by, every direct post in it.

Each participant has a `conversation_member` row: the key their list is ordered and paged by
(the id of the newest message), whether they have read that message, and whether they have
removed the conversation from their list (a new message brings it back). A page of the list
is one statement.

Blocks: a direct post to someone across a block is refused (Forbidden, saying why), and a
conversation with someone across a block is hidden (from the list, the unread count, its
page and the API) for as long as the block stands.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from piccolo.querystring import QueryString

from domain.core.errors import NotFound
from domain.core.paging import IdRange
from domain.core.sql import fetch, sql
from domain.core.visibility import visible_to
from domain.posts.tables import Post
from domain.posts.text import render_html
from domain.social import refuse_if_blocked

CONVERSATION_MISSING: Final = "That conversation does not exist."
# The @mentions in front of a message, which domain.posts.direct_messages puts there.
_ADDRESS: Final = re.compile(r"^(?:@\w+\s+)+")
MESSAGES_PER_PAGE: Final = 50

# The other participants, the newest message the viewer may see and their own marks, for
# the conversations `which` picks; hidden when anyone in it blocks, or is blocked by, the viewer.
_SUMMARIES = """
SELECT m.conversation AS id, m.last_post AS key, m.unread,
       lp.id AS post_id, lp.text, lp.created_at, lp.author AS author_id,
       COALESCE((
           SELECT json_agg(json_build_object(
                      'id', u.id, 'username', u.username,
                      'display_name', u.display_name, 'avatar', u.avatar)
                  ORDER BY u.username)
           FROM agora_user u WHERE u.id = ANY(c.participants) AND u.id <> {viewer}
       ), '[]') AS others
FROM conversation_member m
JOIN conversation c ON c.id = m.conversation
JOIN LATERAL (
    SELECT p.id, p.text, p.created_at, p.author
    FROM post p JOIN agora_user a ON a.id = p.author
    WHERE p.conversation = c.id AND NOT a.is_suspended AND {visible}
    ORDER BY p.id DESC LIMIT 1
) lp ON true
WHERE m."user" = {viewer} {which}
  AND NOT (c.participants && ARRAY(
      SELECT blocked FROM block WHERE blocker = {viewer}
      UNION ALL SELECT blocker FROM block WHERE blocked = {viewer}))
ORDER BY m.last_post {order} LIMIT {limit}
"""

_MESSAGES = """
SELECT * FROM (
    SELECT p.id, p.text, p.created_at, p.author AS author_id, u.username, u.display_name,
           u.avatar
    FROM post p JOIN agora_user u ON u.id = p.author
    WHERE p.conversation = {conversation} AND NOT u.is_suspended AND {visible} {earlier}
    ORDER BY p.id DESC LIMIT {limit}
) newest ORDER BY id
"""

_UNREAD = """
SELECT count(*) AS unread FROM conversation_member m JOIN conversation c ON c.id = m.conversation
WHERE m."user" = {viewer} AND m.unread AND NOT m.removed
  AND NOT (c.participants && ARRAY(
      SELECT blocked FROM block WHERE blocker = {viewer}
      UNION ALL SELECT blocker FROM block WHERE blocked = {viewer}))
"""

_GROUP = """
INSERT INTO conversation (participants, created_at) VALUES ({participants}::integer[], now())
ON CONFLICT ON CONSTRAINT one_conversation_per_group
DO UPDATE SET participants = EXCLUDED.participants
RETURNING id
"""

# Everyone in it has a new message, unread but by its author, and sees the conversation again.
_DELIVER = """
INSERT INTO conversation_member (conversation, "user", last_post, unread, removed)
SELECT {conversation}, member, {post}, member <> {author}, false
FROM unnest({participants}::integer[]) AS member
ON CONFLICT ON CONSTRAINT one_place_per_member
DO UPDATE SET last_post = EXCLUDED.last_post, unread = EXCLUDED.unread, removed = false
"""

_MARK = """
UPDATE conversation_member SET {change}
WHERE conversation = {conversation} AND "user" = {viewer}
"""


@dataclass(frozen=True)
class Participant:
    """Someone in a conversation; `avatar` is the stored image's name, or None."""

    id: int
    username: str
    display_name: str
    avatar: str | None


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation as one participant's list shows it: the other participants (by
    username; none when one writes to oneself), whether the newest message is unread, and
    that message (the newest the viewer may see). `key` orders and pages the list."""

    id: int
    key: int
    unread: bool
    others: list[Participant]
    post_id: int
    text: str
    created_at: datetime
    author_id: int

    @property
    def excerpt(self) -> str:
        """The newest message without the @mentions that address it (the list names the
        people already); the whole text if it is nothing but mentions."""
        return _ADDRESS.sub("", self.text, count=1) or self.text


@dataclass(frozen=True)
class ConversationPage:
    """Newest first; `has_older` when another page follows the last item."""

    items: list[ConversationSummary]
    has_older: bool

    @property
    def next_before(self) -> int | None:
        """The `before` key of the next (older) page, if there is one."""
        return self.items[-1].key if self.has_older and self.items else None


@dataclass(frozen=True)
class Message:
    """One message of a conversation: a direct post and who wrote it."""

    id: int
    text: str
    created_at: datetime
    author: Participant

    @property
    def html(self) -> str:
        """The text as HTML (escaped, with its links, mentions and tags linked)."""
        return render_html(self.text)


@dataclass(frozen=True)
class MessagePage:
    """Some of a conversation's messages, oldest first; `earlier_before` is the `before` key
    of the page of messages just before these, if there are any."""

    items: list[Message]
    earlier_before: int | None


def _summary(row: dict[str, Any]) -> ConversationSummary:
    others = row["others"]
    if isinstance(others, str):
        others = json.loads(others)
    return ConversationSummary(
        id=row["id"],
        key=row["key"],
        unread=row["unread"],
        others=[Participant(**other) for other in others],
        post_id=row["post_id"],
        text=row["text"],
        created_at=row["created_at"],
        author_id=row["author_id"],
    )


async def _summaries(
    viewer_id: int, which: QueryString, order: QueryString, limit: int
) -> list[ConversationSummary]:
    rows = await fetch(
        sql(
            _SUMMARIES,
            viewer=viewer_id,
            visible=visible_to(viewer_id),
            which=which,
            order=order,
            limit=limit,
        )
    )
    return [_summary(row) for row in rows]


async def conversation_page(viewer_id: int, window: IdRange) -> ConversationPage:
    """The viewer's conversations (not removed, not hidden by a block), newest message first,
    in the window of Mastodon's paging parameters over the newest message's id (as Mastodon
    pages them): one statement."""
    limit = window.bounded_limit
    key = QueryString("m.last_post")
    which = sql("AND NOT m.removed {bounds}", bounds=window.bounds(key))
    rows = await _summaries(viewer_id, which, window.order(), limit + 1)
    items = rows[:limit]
    if window.ascending:
        items.reverse()
        return ConversationPage(items, has_older=bool(items))
    return ConversationPage(items, has_older=len(rows) > limit)


async def conversation(viewer_id: int, conversation_id: int) -> ConversationSummary:
    """One of the viewer's conversations, removed from their list or not; NotFound when it
    is not theirs, is hidden by a block, or has no message left."""
    found = await _summaries(
        viewer_id, sql("AND m.conversation = {id}", id=conversation_id), QueryString("DESC"), 1
    )
    if not found:
        raise NotFound(CONVERSATION_MISSING)
    return found[0]


async def messages(viewer_id: int, conversation_id: int, before: int | None = None) -> MessagePage:
    """The newest MESSAGES_PER_PAGE messages of one of the viewer's conversations (of those
    older than the message id `before`, when given), oldest first; NotFound as for
    `conversation`."""
    await conversation(viewer_id, conversation_id)
    earlier = sql("AND p.id < {before}", before=before) if before is not None else QueryString("")
    rows = await fetch(
        sql(
            _MESSAGES,
            conversation=conversation_id,
            visible=visible_to(viewer_id),
            earlier=earlier,
            limit=MESSAGES_PER_PAGE + 1,
        )
    )
    # The statement's one extra row, the oldest, only says that earlier messages exist.
    has_earlier = len(rows) > MESSAGES_PER_PAGE
    shown = rows[1:] if has_earlier else rows
    items = [
        Message(
            id=row["id"],
            text=row["text"],
            created_at=row["created_at"],
            author=Participant(
                row["author_id"], row["username"], row["display_name"], row["avatar"]
            ),
        )
        for row in shown
    ]
    return MessagePage(items, items[0].id if has_earlier else None)


async def _mark(viewer_id: int, conversation_id: int, change: str) -> None:
    await conversation(viewer_id, conversation_id)
    await fetch(
        sql(_MARK, change=QueryString(change), conversation=conversation_id, viewer=viewer_id)
    )


async def mark_read(viewer_id: int, conversation_id: int) -> None:
    """The viewer has read the conversation's newest message; NotFound as for
    `conversation`."""
    await _mark(viewer_id, conversation_id, "unread = false")


async def remove(viewer_id: int, conversation_id: int) -> None:
    """Take the conversation off the viewer's list until its next message (the others keep
    it); NotFound as for `conversation`."""
    await _mark(viewer_id, conversation_id, "removed = true, unread = false")


async def conversation_of(viewer_id: int, post_id: int) -> int | None:
    """The conversation of this direct post, if the viewer is in it (and may see it)."""
    rows = await fetch(
        sql(
            "SELECT p.conversation FROM post p"
            " JOIN conversation_member m ON m.conversation = p.conversation"
            ' AND m."user" = {viewer} WHERE p.id = {post_id} AND {visible}',
            viewer=viewer_id,
            post_id=post_id,
            visible=visible_to(viewer_id),
        )
    )
    return rows[0]["conversation"] if rows else None


def unread_conversations_query(viewer_id: int) -> QueryString:
    """The statement counting the viewer's listed conversations with an unread message (one
    row, `unread`)."""
    return sql(_UNREAD, viewer=viewer_id)


async def unread_count(viewer_id: int) -> int:
    """How many of the viewer's listed conversations have an unread message."""
    rows = await fetch(unread_conversations_query(viewer_id))
    count: int = rows[0]["unread"]
    return count


async def refuse_across_blocks(author_id: int, recipient_ids: list[int]) -> None:
    """Forbidden, saying why, when a block stands between the author and a recipient."""
    for recipient_id in recipient_ids:
        if recipient_id != author_id:
            await refuse_if_blocked(author_id, recipient_id, "send them a message")


async def add_message(post: Post) -> int:
    """File a just-saved direct post in the conversation of its author and the accounts it
    mentions (starting it if new), in the caller's transaction; the conversation's id."""
    participants = sorted({post.author, *post.mentions})
    rows = await fetch(sql(_GROUP, participants=participants))
    conversation_id: int = rows[0]["id"]
    await Post.update({Post.conversation: conversation_id}).where(Post.id == post.id)
    post.conversation = conversation_id
    await fetch(
        sql(
            _DELIVER,
            conversation=conversation_id,
            post=post.id,
            author=post.author,
            participants=participants,
        )
    )
    return conversation_id
