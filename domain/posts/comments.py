"""Comments on posts, with replies to comments, and the post's comment counter kept right.

Nobody answers across a block (domain.social), and a viewer does not see the comments of
someone they block or who blocks them. Replies are written through `publishing.publish`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asyncpg.exceptions import ForeignKeyViolationError
from piccolo.querystring import QueryString

from domain import social
from domain.accounts import User
from domain.core import outbox
from domain.core.errors import Forbidden, NotFound, ValidationFailed
from domain.core.sql import fetch, sql
from domain.posts.tables import POST_MISSING, Comment, Post
from domain.posts.text import MAX_COMMENT_LENGTH, render_html, text_problem

_INSERT = """
WITH added AS (
    INSERT INTO comment (post, author, parent, text, language, created_at)
    VALUES ({post_id}, {author_id}, {parent_id}, {text}, {language}, now()) RETURNING id
), counted AS (
    UPDATE post SET comment_count = comment_count + 1 WHERE id = {post_id}
)
SELECT id FROM added
"""
# Replies go with the comment they answer (ON DELETE CASCADE); the counter drops by all of them.
_DELETE = """
WITH RECURSIVE doomed AS (
    SELECT id FROM comment WHERE id = {comment_id}
    UNION ALL
    SELECT c.id FROM comment c JOIN doomed d ON c.parent = d.id
), gone AS (
    DELETE FROM comment WHERE id IN (SELECT id FROM doomed) RETURNING 1
)
UPDATE post SET comment_count = GREATEST(comment_count - (SELECT count(*) FROM gone), 0)
WHERE id = {post_id} RETURNING comment_count
"""
_THREAD = """
SELECT c.id, c.parent, c.text, c.language, c.created_at, c.author AS author_id,
       u.username, u.display_name, u.avatar
FROM comment c JOIN agora_user u ON u.id = c.author
WHERE c.post = {post_id} AND NOT u.is_suspended {unblocked}
ORDER BY c.created_at, c.id
"""


@dataclass
class CommentNode:
    """A comment as shown: its author, its text as HTML, and the replies under it."""

    id: int
    post_id: int
    parent_id: int | None
    text: str
    html: str
    language: str | None
    created_at: datetime
    author_id: int
    author_username: str
    author_display_name: str
    author_avatar: str | None
    replies: list[CommentNode] = field(default_factory=list)


async def create_comment(
    author: User,
    post_id: int,
    text: str,
    parent_id: int | None = None,
    language: str | None = None,
) -> Comment:
    """Comment on a post, or reply to one of its comments (through `publishing.publish`),
    in `language` (a checked ISO 639 code) if the author said."""
    if problem := text_problem(text, noun="Reply", max_length=MAX_COMMENT_LENGTH):
        raise ValidationFailed({"text": problem})
    if parent_id is not None:
        parent_post = await Comment.select(Comment.post).where(Comment.id == parent_id).first()
        if parent_post is None or parent_post["post"] != post_id:
            raise NotFound("The comment you are replying to does not exist.")
        await social.refuse_if_blocked_by_author(
            author.id, "comment", parent_id, "reply to their comments"
        )
    await social.refuse_if_blocked_by_author(author.id, "post", post_id, "reply to their posts")
    try:
        async with outbox.transaction():
            rows = await fetch(
                sql(
                    _INSERT,
                    post_id=post_id,
                    author_id=author.id,
                    parent_id=parent_id,
                    text=text.strip(),
                    language=language,
                )
            )
            # The job works out whom to tell: the post's author, the comment's answered.
            await outbox.record(outbox.Job.NOTIFY, kind="comment", comment_id=rows[0]["id"])
    except ForeignKeyViolationError as error:
        raise NotFound(POST_MISSING) from error
    return await get_comment(rows[0]["id"])


async def comment_to_delete(actor: User, comment_id: int) -> Comment:
    """The comment, if the actor may delete it: its author, the post's author or a moderator."""
    comment = await get_comment(comment_id)
    post_author = await Post.select(Post.author).where(Post.id == comment.post).first()
    owners = (comment.author, post_author["author"] if post_author else None)
    if actor.id not in owners and not actor.is_staff:
        raise Forbidden("Only the author can delete this comment.")
    return comment


async def delete_comment(actor: User, comment_id: int) -> int:
    """Delete a comment and its replies; returns the post's new comment count."""
    comment = await comment_to_delete(actor, comment_id)
    rows = await fetch(sql(_DELETE, comment_id=comment_id, post_id=comment.post))
    return int(rows[0]["comment_count"]) if rows else 0


async def comment_thread(post_id: int, viewer_id: int | None = None) -> list[CommentNode]:
    """The post's comments oldest first, each reply nested under the comment it answers;
    with a viewer, without the comments of anyone the viewer blocks or is blocked by."""
    unblocked = social.outside_viewer_blocks(viewer_id, QueryString("c.author"))
    rows = await fetch(sql(_THREAD, post_id=post_id, unblocked=unblocked))
    nodes = {row["id"]: _node(post_id, row) for row in rows}
    roots: list[CommentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.replies if parent else roots).append(node)
    return roots


def _node(post_id: int, row: dict[str, Any]) -> CommentNode:
    return CommentNode(
        id=row["id"],
        post_id=post_id,
        parent_id=row["parent"],
        text=row["text"],
        html=render_html(row["text"]),
        language=row["language"],
        created_at=row["created_at"],
        author_id=row["author_id"],
        author_username=row["username"],
        author_display_name=row["display_name"],
        author_avatar=row["avatar"],
    )


async def get_comment(comment_id: int) -> Comment:
    comment: Comment | None = await Comment.objects().where(Comment.id == comment_id).first()
    if comment is None:
        raise NotFound("That comment does not exist.")
    return comment


COMMENTS_PER_PAGE = 50


@dataclass(frozen=True)
class ThreadPage:
    """Top-level comments (each with all its replies) shown on one page of a post."""

    roots: list[CommentNode]
    starts_after: int | None  # the top-level comment before this page; None on the first
    next_after: int | None  # pass as `after` for the next page; None on the last
    total_roots: int


def page_of_thread(
    roots: list[CommentNode],
    after: int | None = None,
    containing: int | None = None,
    size: int = COMMENTS_PER_PAGE,
) -> ThreadPage:
    """The page after top-level comment `after`, or the page holding comment `containing`.

    Long threads are cut into pages of top-level comments so a post page stays light; the
    whole thread is one query either way, so slicing it here costs nothing extra.
    """
    start = 0
    if containing is not None:
        holder = next(
            (index for index, root in enumerate(roots) if find_in_thread([root], containing)),
            None,
        )
        start = (holder // size) * size if holder is not None else 0
    elif after is not None:
        start = sum(1 for root in roots if root.id <= after)
    page = roots[start : start + size]
    return ThreadPage(
        roots=page,
        starts_after=roots[start - 1].id if start > 0 else None,
        next_after=page[-1].id if page and start + size < len(roots) else None,
        total_roots=len(roots),
    )


def find_in_thread(thread: list[CommentNode], comment_id: int) -> CommentNode | None:
    """The comment with this id anywhere in the thread, or None."""
    for node in thread:
        if node.id == comment_id:
            return node
        if found := find_in_thread(node.replies, comment_id):
            return found
    return None
