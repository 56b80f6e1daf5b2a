"""The permalink page of a post with its comment thread, shared by the permalink route and
by the comment form, which shows it again with errors (or, for htmx, only its comments)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from domain import feeds, posts
from domain.core import redis_guard
from web.auth import current_user
from web.forms import FailedForm, failed_form
from web.htmx import current_location


async def post_page(
    request: Request[Any, Any, Any],
    username: str,
    post_id: int,
    failed: FailedForm | None = None,
    fragment: bool = False,
    announcement: str = "",
    reply_to: int | None = None,
    after: int | None = None,
    containing: int | None = None,
) -> Template:
    """The post and its comments; `fragment` gives htmx only the comments and the controls.
    A reply that failed (`failed`, or kept for this page's `?failed=`) is shown with its
    errors and its status."""
    failed = failed or await failed_form(request) or FailedForm({}, {}, HTTP_200_OK)
    viewer = current_user(request)
    card = await feeds.card(post_id, viewer.id if viewer else None)
    if card.author_username.lower() != username.lower():
        raise NotFoundException(posts.POST_MISSING)
    thread = await posts.comment_thread(post_id, viewer.id if viewer else None)
    # A direct message's replies live in its conversation: the page links there.
    conversation_id = (
        await posts.conversation_of(viewer.id, post_id)
        if viewer and card.visibility == "direct"
        else None
    )
    return Template(
        "posts/comments_changed.html" if fragment else "posts/post.html",
        context={
            "announcement": announcement,
            "card": card,
            "viewer": viewer,
            "back": card.permalink if fragment else current_location(request),
            "thread": posts.page_of_thread(thread, after, containing or reply_to),
            "replying_to": posts.find_in_thread(thread, reply_to) if reply_to else None,
            "bodies": await feeds.post_bodies([card], 2, redis_guard.active()),
            "conversation_id": conversation_id,
            "values": failed.values,
            "errors": failed.errors,
        },
        status_code=failed.status_code,
    )
