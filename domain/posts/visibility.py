"""Visibility as posts use it: choosing one when publishing, a reply's, the accounts a post
mentions (who may see it whatever its visibility), and refusing to act on a post its actor
may not see. Who may see a post is the one rule of domain.core.visibility.

A reply is a comment on a post, shown wherever the post is shown and nowhere else, so it is
seen by exactly the people who see its post: its visibility is the post's. A reply asked for
with a wider visibility is narrowed to the post's (nobody outside the post's audience could
see it anyway, and the status returned says so); one asked for with a narrower visibility is
refused, since keeping it from part of the post's audience is not something Agora can do.
"""

from __future__ import annotations

from domain.core.errors import NotFound, ValidationFailed
from domain.core.sql import fetch, sql
from domain.core.visibility import Visibility, is_wider, visible_to
from domain.posts.tables import POST_MISSING
from domain.posts.text import extract_mentions

REPLY_NARROWER = (
    "A reply is seen by everyone who sees the post it answers; this post is {post}, so its "
    "replies are {post} too and cannot be {asked}."
)

_VISIBLE_POST = """
SELECT 1 FROM post p JOIN agora_user u ON u.id = p.author
WHERE p.id = {post_id} AND NOT u.is_suspended AND {visible}
"""


async def may_see(viewer_id: int | None, post_id: int) -> bool:
    """Whether the viewer (None: a visitor) may see the post: it exists, its author is not
    suspended, and the rule of domain.core.visibility lets the viewer see it. Blocks are
    checked apart, by the callers that say why they refuse (domain.social)."""
    rows = await fetch(sql(_VISIBLE_POST, post_id=post_id, visible=visible_to(viewer_id)))
    return bool(rows)


async def refuse_if_hidden(viewer_id: int, post_id: int) -> None:
    """NotFound (as for a post that does not exist) unless the viewer may see the post."""
    if not await may_see(viewer_id, post_id):
        raise NotFound(POST_MISSING)


def reply_visibility(asked: Visibility | None, post: Visibility) -> Visibility:
    """A reply's visibility: its post's (see the module's docstring). Raises
    ValidationFailed (key `visibility`) when `asked` is narrower than the post's."""
    if asked is not None and is_wider(post, asked):
        raise ValidationFailed({"visibility": REPLY_NARROWER.format(post=post, asked=asked)})
    return post


async def mentioned_ids(text: str) -> list[int]:
    """The ids of the existing accounts the text @mentions, in order of appearance."""
    names = extract_mentions(text)
    if not names:
        return []
    rows = await fetch(
        sql(
            "SELECT id FROM agora_user WHERE lower(username) = ANY({names})"
            " ORDER BY array_position({names}, lower(username))",
            names=names,
        )
    )
    return [row["id"] for row in rows]
