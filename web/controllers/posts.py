"""Posts as pages: writing, the permalink page with its comments, likes, bookmarks, deleting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from domain import comments, feeds, posts, redis_guard, social
from domain.errors import Forbidden, ValidationFailed
from domain.tables import User
from web.auth import current_user, logged_in_user, requires_login, safe_next
from web.controllers.media import compose
from web.fragments import post_bodies
from web.htmx import current_location, htmx_page_location, is_htmx

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class TextForm:
    text: str = ""
    parent_id: int | None = None


def back_to(next_url: str, anchor: str = "") -> Redirect:
    """Where a form without JavaScript returns: the page it came from, at the thing it changed."""
    target = safe_next(next_url)
    return Redirect(
        target + (f"#{anchor}" if anchor and "#" not in target else ""), status_code=303
    )


async def post_page(
    request: Request[Any, Any, Any],
    username: str,
    post_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    fragment: bool = False,
    announcement: str = "",
    reply_to: int | None = None,
    after: int | None = None,
    containing: int | None = None,
) -> Template:
    """The post and its comments; `fragment` gives htmx only the comments and the controls."""
    viewer = current_user(request)
    card = await feeds.card(post_id, viewer.id if viewer else None)
    if card.author_username.lower() != username.lower():
        raise NotFoundException(posts.POST_MISSING)
    thread = await comments.comment_thread(post_id, viewer.id if viewer else None)
    return Template(
        "posts/comments_changed.html" if fragment else "posts/post.html",
        context={
            "announcement": announcement,
            "card": card,
            "viewer": viewer,
            "back": card.permalink if fragment else current_location(request),
            "thread": comments.page_of_thread(thread, after, containing or reply_to),
            "replying_to": comments.find_in_thread(thread, reply_to) if reply_to else None,
            "bodies": await post_bodies([card], 2, redis_guard.active()),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


ToggleAction = Callable[[User, int], Awaitable[object]]
ANNOUNCEMENTS = {
    "like": "Liked.",
    "unlike": "Like removed.",
    "bookmark": "Bookmarked.",
    "unbookmark": "Bookmark removed.",
}


async def toggle(
    request: Request[Any, Any, Any], post_id: int, action: str, change: ToggleAction, next_url: str
) -> Response[Any]:
    """Apply a like or bookmark change; htmx gets the post's new controls, a form a redirect."""
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


class PostController(Controller):
    guards = [requires_login]

    @post("/posts")
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        # The compose form is multipart (it may carry an image): web/controllers/media.py.
        return await compose(request)

    @post("/posts/{post_id:int}/like")
    async def like(
        self, request: Request[Any, Any, Any], post_id: FromPath[int], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "like", social.like, next)

    @post("/posts/{post_id:int}/unlike")
    async def unlike(
        self, request: Request[Any, Any, Any], post_id: FromPath[int], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "unlike", social.unlike, next)

    @post("/posts/{post_id:int}/bookmark")
    async def bookmark(
        self, request: Request[Any, Any, Any], post_id: FromPath[int], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "bookmark", social.bookmark, next)

    @post("/posts/{post_id:int}/unbookmark")
    async def unbookmark(
        self, request: Request[Any, Any, Any], post_id: FromPath[int], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await toggle(request, post_id, "unbookmark", social.unbookmark, next)

    @get("/posts/{post_id:int}/delete")
    async def confirm_delete(
        self, request: Request[Any, Any, Any], post_id: FromPath[int]
    ) -> Template:
        viewer = logged_in_user(request)
        card = await feeds.card(post_id, viewer.id)
        if not posts.may_delete_post(viewer, card.author_id):
            raise Forbidden("Only the author can delete this post.")
        return Template("posts/confirm_delete.html", context={"card": card, "viewer": viewer})

    @post("/posts/{post_id:int}/delete")
    async def delete(self, request: Request[Any, Any, Any], post_id: FromPath[int]) -> Redirect:
        viewer = logged_in_user(request)
        await posts.delete_post(viewer, post_id)
        return Redirect(f"/@{viewer.username}", status_code=303)

    @post("/posts/{post_id:int}/comments")
    async def comment(
        self,
        request: Request[Any, Any, Any],
        post_id: FromPath[int],
        data: Annotated[TextForm, Form],
    ) -> Response[Any]:
        viewer = logged_in_user(request)
        username = await posts.author_username(post_id)
        try:
            created = await comments.create_comment(viewer, post_id, data.text, data.parent_id)
        except ValidationFailed as failure:
            return await post_page(
                request,
                username,
                post_id,
                values={"reply": data.text},
                errors={"reply": failure.errors["text"]},
                reply_to=data.parent_id,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                fragment=is_htmx(request),
            )
        if is_htmx(request):
            return await post_page(
                request,
                username,
                post_id,
                fragment=True,
                announcement="Reply posted.",
                containing=created.id,
            )
        # The page of a long thread that holds the new comment, scrolled to it.
        return Redirect(
            f"/@{username}/{post_id}?comment={created.id}#comment-{created.id}", status_code=303
        )

    @get("/comments/{comment_id:int}/delete")
    async def confirm_delete_comment(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template:
        comment = await comments.comment_to_delete(logged_in_user(request), comment_id)
        username = await posts.author_username(comment.post)
        return Template(
            "posts/confirm_delete_comment.html",
            context={"comment": comment, "post_url": f"/@{username}/{comment.post}"},
        )

    @post("/comments/{comment_id:int}/delete")
    async def delete_comment(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Redirect:
        comment = await comments.get_comment(comment_id)
        await comments.delete_comment(logged_in_user(request), comment_id)
        username = await posts.author_username(comment.post)
        return Redirect(f"/@{username}/{comment.post}#comments", status_code=303)
