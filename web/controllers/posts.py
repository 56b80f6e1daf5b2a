"""`/posts/...` and `/comments/...`: writing posts and replies, likes, bookmarks, deleting.
The permalink page itself is a profile URL (web/controllers/profiles.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_422_UNPROCESSABLE_ENTITY

from domain import feeds, posts
from domain.accounts import User
from domain.core.errors import Forbidden, ValidationFailed
from domain.core.numbers import BIGSERIAL, SERIAL, optional_number, path_id
from web.auth import logged_in_user, requires_login, safe_next
from web.flash import Flash, with_flash
from web.forms import (
    FailedForm,
    Form,
    back_to,
    failed_form,
    failure_status,
    read_upload,
    show_failure,
    text_field,
)
from web.htmx import htmx_page_location, is_htmx
from web.post_pages import post_page
from web.submissions import SUBMISSION_FIELD, publish_once


@dataclass
class TextForm:
    text: str = ""
    parent_id: str = ""  # a comment id, parsed by domain.core.numbers' rule
    submission: str = ""  # the rendered form's token (web/submissions.py)


COMMENT_MISSING = "That comment does not exist."
ToggleAction = Callable[[User, int], Awaitable[object]]
ANNOUNCEMENTS = {
    "like": "Liked.",
    "unlike": "Like removed.",
    "bookmark": "Bookmarked.",
    "unbookmark": "Bookmark removed.",
}


def _post_id(raw: str) -> int:
    """A post id from the path (a bigserial); any other segment names no post (404)."""
    return path_id(raw, BIGSERIAL, posts.POST_MISSING)


def _comment_id(raw: str) -> int:
    """A comment id from the path (a serial); any other segment names no comment (404)."""
    return path_id(raw, SERIAL, COMMENT_MISSING)


async def toggle(
    request: Request[Any, Any, Any], raw_id: str, action: str, change: ToggleAction, next_url: str
) -> Response[Any]:
    """Apply a like or bookmark change; htmx gets the post's new controls, a form a redirect."""
    post_id = _post_id(raw_id)
    viewer = logged_in_user(request)
    await change(viewer, post_id)
    if not is_htmx(request):
        return back_to(next_url, f"post-{post_id}")
    card = await feeds.card(post_id, viewer.id)
    return Template(
        "posts/controls_changed.html",
        context={
            "card": card,
            "viewer": viewer,
            "back": safe_next(next_url or htmx_page_location(request)),
            "announcement": ANNOUNCEMENTS[action],
        },
    )


def _compose_page(request: Request[Any, Any, Any], failed: FailedForm) -> Template:
    return Template(
        "posts/compose.html",
        context={
            "viewer": logged_in_user(request),
            "values": failed.values,
            "errors": failed.errors,
        },
        status_code=failed.status_code,
    )


async def _message_sent(
    request: Request[Any, Any, Any], viewer: User, message_id: int, fresh: bool
) -> Response[Any]:
    """After a reply to a direct message: to the conversation that holds it (another one if
    the text named someone new), the whole page with htmx too, since the thread lives there."""
    conversation_id = await posts.conversation_of(viewer.id, message_id)
    where = f"/messages/{conversation_id}#message-{message_id}"
    if is_htmx(request):
        return Response("", headers={"HX-Redirect": where})
    response = Redirect(where, status_code=303)
    with_flash(response, request, Flash.MESSAGE_SENT if fresh else Flash.ALREADY_POSTED)
    return response


class PostController(Controller):
    guards = [requires_login]

    @get("/compose")
    async def compose(self, request: Request[Any, Any, Any]) -> Template:
        """A page with only the composer (the layout's compose button), and where a post
        that failed is shown again with its errors (`?failed=`, see web/forms.py)."""
        failed = await failed_form(request)
        return _compose_page(request, failed or FailedForm({}, {}, HTTP_200_OK))

    @post("/posts")
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Publish and go home, or show the composer again with the errors and the typed
        text. The form is multipart, since it may carry an image; `request.form()` also takes
        url-encoded bodies from clients that send only text."""
        viewer = logged_in_user(request)
        form = await request.form()
        text, alt = text_field(form, "text"), text_field(form, "image_alt")
        asked = text_field(form, "visibility")
        upload = await read_upload(form, "image")

        async def publish() -> int:
            created = await posts.publish(
                viewer,
                text,
                image=None if upload is None else posts.AttachedImage(upload, alt),
                # Absent (a client sending only text): the member's default visibility.
                visibility=posts.chosen_visibility(asked) if asked else None,
            )
            return created.id

        try:
            post_id, fresh = await publish_once(viewer, text_field(form, SUBMISSION_FIELD), publish)
        except ValidationFailed as failure:
            failed = FailedForm(
                {"text": text, "image_alt": alt, "visibility": asked},
                failure.errors,
                failure_status(failure),
            )

            async def render(failed: FailedForm) -> Response[Any]:
                return _compose_page(request, failed)

            return await show_failure(request, "/compose", failed, render)
        response = Redirect(f"/#post-{post_id}", status_code=303)
        with_flash(response, request, Flash.POSTED if fresh else Flash.ALREADY_POSTED)
        return response

    @post("/posts/{post_id:str}/like")
    async def like(
        self, request: Request[Any, Any, Any], post_id: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "like", posts.favourite, next)

    @post("/posts/{post_id:str}/unlike")
    async def unlike(
        self, request: Request[Any, Any, Any], post_id: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "unlike", posts.unfavourite, next)

    @post("/posts/{post_id:str}/bookmark")
    async def bookmark(
        self, request: Request[Any, Any, Any], post_id: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "bookmark", posts.bookmark, next)

    @post("/posts/{post_id:str}/unbookmark")
    async def unbookmark(
        self, request: Request[Any, Any, Any], post_id: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "unbookmark", posts.unbookmark, next)

    @get("/posts/{post_id:str}/delete")
    async def confirm_delete(
        self, request: Request[Any, Any, Any], post_id: FromPath[str]
    ) -> Template:
        viewer = logged_in_user(request)
        card = await feeds.card(_post_id(post_id), viewer.id)
        if not posts.may_delete_post(viewer, card.author_id):
            raise Forbidden("Only the author can delete this post.")
        return Template("posts/confirm_delete.html", context={"card": card, "viewer": viewer})

    @post("/posts/{post_id:str}/delete")
    async def delete(self, request: Request[Any, Any, Any], post_id: FromPath[str]) -> Redirect:
        viewer = logged_in_user(request)
        await posts.delete_post(viewer, _post_id(post_id))
        response = Redirect(f"/@{viewer.username}", status_code=303)
        with_flash(response, request, Flash.POST_DELETED)
        return response

    @post("/posts/{post_id:str}/comments")
    async def comment(
        self,
        request: Request[Any, Any, Any],
        post_id: FromPath[str],
        data: Annotated[TextForm, Form],
    ) -> Response[Any]:
        viewer = logged_in_user(request)
        answered = posts.ReplyTarget(
            _post_id(post_id), optional_number(data.parent_id, "parent_id", SERIAL)
        )
        username = await posts.author_username(answered.post_id)
        # A reply to a direct message continues its conversation, as a Mastodon client's does
        # (domain.posts.direct_messages.answer), rather than starting a comment thread.
        conversation_id = await posts.conversation_of(viewer.id, answered.post_id)

        async def publish() -> int:
            if conversation_id is not None:
                return (await posts.reply(viewer, conversation_id, data.text)).id
            return (await posts.publish(viewer, data.text, in_reply_to=answered)).id

        try:
            comment_id, fresh = await publish_once(viewer, data.submission, publish)
        except ValidationFailed as failure:
            failed = FailedForm(
                {"reply": data.text},
                # The reply form has one field: whatever is wrong is said beside it.
                {"reply": "; ".join(failure.errors.values())},
                HTTP_422_UNPROCESSABLE_ENTITY,
            )

            async def render(failed: FailedForm) -> Response[Any]:
                return await post_page(
                    request,
                    username,
                    answered.post_id,
                    failed=failed,
                    reply_to=answered.comment_id,
                    fragment=is_htmx(request),
                )

            if is_htmx(request):
                return await render(failed)
            answering = f"?reply_to={answered.comment_id}" if answered.comment_id else ""
            page = f"/@{username}/{answered.post_id}{answering}"
            return await show_failure(request, page, failed, render, anchor="field-reply")
        if conversation_id is not None:
            return await _message_sent(request, viewer, comment_id, fresh)
        if is_htmx(request):
            return await post_page(
                request,
                username,
                answered.post_id,
                fragment=True,
                announcement="Reply posted." if fresh else "Already posted.",
                containing=comment_id,
            )
        # The page of a long thread that holds the new comment, scrolled to it.
        response = Redirect(
            f"/@{username}/{answered.post_id}?comment={comment_id}#comment-{comment_id}",
            status_code=303,
        )
        with_flash(response, request, Flash.REPLY_POSTED if fresh else Flash.ALREADY_POSTED)
        return response

    @get("/comments/{comment_id:str}/delete")
    async def confirm_delete_comment(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Template:
        comment = await posts.comment_to_delete(logged_in_user(request), _comment_id(comment_id))
        username = await posts.author_username(comment.post)
        return Template(
            "posts/confirm_delete_comment.html",
            context={"comment": comment, "post_url": f"/@{username}/{comment.post}"},
        )

    @post("/comments/{comment_id:str}/delete")
    async def delete_comment(
        self, request: Request[Any, Any, Any], comment_id: FromPath[str]
    ) -> Redirect:
        wanted = _comment_id(comment_id)
        comment = await posts.get_comment(wanted)
        await posts.delete_comment(logged_in_user(request), wanted)
        username = await posts.author_username(comment.post)
        response = Redirect(f"/@{username}/{comment.post}#comments", status_code=303)
        with_flash(response, request, Flash.COMMENT_DELETED)
        return response
