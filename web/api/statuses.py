"""/api/v1/statuses: posting, replying, reading, deleting, favouriting and bookmarking.

A status is a post ("123") or a comment ("c45"); see web/api/serializers.py. Replying to
either makes a comment, so `in_reply_to_id` decides which domain service runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, HeaderParameter
from litestar.status_codes import HTTP_200_OK

from domain import posts
from domain.accounts import User
from domain.core.errors import NotFound
from domain.core.numbers import SERIAL, parse_number
from domain.core.paging import MAX_LIMIT
from domain.core.visibility import Visibility
from web.api import entities
from web.api.auth import me, needs, public_access, viewer
from web.api.errors import unprocessable
from web.api.openapi import Field
from web.api.paging import Window, link_header
from web.api.params import Params, read_params
from web.api.serializers import Presenter, StatusRef, comment_status_id

STATUS_PATH = "/{status_id:str}"
Status = entities.Status
STATUS_FIELDS = (
    Field("status", "The text, 1 to 500 characters", required=True),
    Field("in_reply_to_id", 'Reply to this status (a post "123" or a comment "c45")'),
    Field("media_ids", "One uploaded image, described (posts only)", array=True),
    Field(
        "sensitive",
        "Hide the image behind a warning until the reader opens it (posts only)",
        OpenAPIType.BOOLEAN,
    ),
    Field(
        "visibility",
        "Who may see it: `public` (everywhere), `unlisted` (not in Explore, tags, search or "
        "the public timelines), `private` (followers and mentioned accounts) or `direct` "
        "(mentioned accounts); default: the account's `source[privacy]`. A reply is seen by "
        "whoever sees the post it answers: a wider value is narrowed to the post's, a "
        "narrower one refused (422)",
    ),
    Field("language", "The ISO 639 code of the text's language (en, pt-BR), kept and shown"),
)


def _refuse_unsupported(params: Params) -> None:
    """Say no to what Agora cannot do rather than silently posting something else:
    a "private" post published publicly would be a leak."""
    if params.get_list("media_ids") and params.get("in_reply_to_id"):
        raise unprocessable("Agora replies cannot have images: only posts (no in_reply_to_id) can")
    if params.has("poll") or params.get("poll[options][]") is not None:
        raise unprocessable("Agora does not support polls")
    if params.get("scheduled_at"):
        raise unprocessable("Agora does not support scheduled posts")
    if params.get("spoiler_text"):
        raise unprocessable("Agora does not support content warnings (spoiler_text)")


@dataclass(frozen=True)
class _Marks:
    """What a status carries besides its text and image, as the request says it."""

    sensitive: bool
    language: str | None
    visibility: Visibility | None  # None: the author's default


async def _publish(
    author: User, text: str, in_reply_to_id: str | None, media_ids: list[str], marks: _Marks
) -> str:
    """Create the post or comment (a reply to a direct message: the conversation's next
    message, domain.posts.direct_messages.answer); returns its status id."""
    if not in_reply_to_id:
        image = posts.UploadedMedia(tuple(media_ids))
        post = await posts.publish(
            author,
            text,
            image=image,
            sensitive=marks.sensitive,
            language=marks.language,
            visibility=marks.visibility,
        )
        return str(post.id)
    target = StatusRef.parse(in_reply_to_id)
    if target.post_id is not None and (message := await posts.answer(author, target.post_id, text)):
        return str(message.id)
    if target.comment_id is not None:
        parent = await posts.get_comment(target.comment_id)
        answered = posts.ReplyTarget(parent.post, target.comment_id)
    else:
        assert target.post_id is not None
        answered = posts.ReplyTarget(target.post_id)
    comment = await posts.publish(
        author,
        text,
        in_reply_to=answered,
        sensitive=marks.sensitive,
        language=marks.language,
        visibility=marks.visibility,
    )
    return comment_status_id(comment.id)


def _post_only(ref: StatusRef, action: str) -> int:
    if ref.post_id is None:
        raise unprocessable(f"Only posts can be {action}; this status is a comment")
    return ref.post_id


class StatusesController(Controller):
    path = "/v1/statuses"
    tags = ["statuses"]

    @post("/", status_code=HTTP_200_OK, **needs("write:statuses", body=STATUS_FIELDS))
    async def create(
        self,
        request: Request[Any, Any, Any],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", description="Retry-safe posting"),
        ] = None,
    ) -> entities.Status:
        """Publish `status` (1 to 500 characters, even with an image), or reply with
        `in_reply_to_id` (to a direct message: the next message of its conversation, to
        everyone in it). A post may carry one uploaded image (`media_ids[]`, see
        /api/v2/media) that has a description; replies cannot.

        An `Idempotency-Key` header makes retries safe: the same key within an hour returns
        the status the first request created. `visibility` says who may see it (a bad value
        is 422); a reply is seen by whoever sees its post. More than one image, polls,
        scheduling and content warnings are refused with 422.
        """
        author = me(request)
        params = await read_params(request)
        _refuse_unsupported(params)
        text = params.text("status")
        asked = params.get("visibility")
        marks = _Marks(
            sensitive=params.flag("sensitive") or False,
            language=params.get("language"),
            visibility=posts.chosen_visibility(asked) if asked else None,
        )
        reply_to = params.get("in_reply_to_id")
        # Upload ids are serials; checked here so that a malformed one is a 422 naming it.
        media_ids = [
            str(parse_number(raw, "media_ids", SERIAL)) for raw in params.get_list("media_ids")
        ]
        presenter = Presenter(request, author)
        if reply_to:
            # Only what the author can see can be answered (a suspended author's post: 404).
            await presenter.status(StatusRef.parse(reply_to))

        async def publish() -> str:
            return await _publish(author, text, reply_to, media_ids, marks)

        status_id = (
            (await posts.run_once(author, idempotency_key, publish))[0]
            if idempotency_key
            else await publish()
        )
        return await presenter.status(StatusRef.parse(status_id))

    @get("/", **public_access())
    async def index(self, request: Request[Any, Any, Any]) -> list[Status]:
        """Several statuses in one call (`id[]`, at most 40), in the order asked; ones that
        do not exist or that the caller may not see are left out, as in Mastodon 4.3."""
        wanted = list(dict.fromkeys((await read_params(request)).get_list("id")))
        if len(wanted) > MAX_LIMIT:
            raise unprocessable(f"id[] may name at most {MAX_LIMIT} statuses")
        presenter = Presenter(request, viewer(request))
        refs = []
        for raw in wanted:
            try:
                refs.append(StatusRef.parse(raw))
            except NotFound:
                continue  # not the shape of any status id: a status that does not exist
        shown_posts = await presenter.posts([r.post_id for r in refs if r.post_id is not None])
        by_id = {status.id: status for status in shown_posts}
        found = []
        for ref in refs:
            try:
                found.append(
                    by_id[str(ref.post_id)]
                    if ref.post_id is not None
                    else await presenter.status(ref)
                )
            except (KeyError, NotFound):
                continue
        return found

    @get(STATUS_PATH, **public_access())
    async def show(
        self, request: Request[Any, Any, Any], status_id: FromPath[str]
    ) -> entities.Status:
        """One status."""
        return await Presenter(request, viewer(request)).status(StatusRef.parse(status_id))

    @delete(STATUS_PATH, status_code=HTTP_200_OK, **needs("write:statuses"))
    async def remove(
        self, request: Request[Any, Any, Any], status_id: FromPath[str]
    ) -> entities.Status:
        """Delete one's own status (a post's replies go with it); returns it as it was, with
        its `text`, so that clients can offer to redraft it."""
        user = me(request)
        ref = StatusRef.parse(status_id)
        status = await Presenter(request, user).status(ref)
        if ref.post_id is not None:
            await posts.delete_post(user, ref.post_id)
        else:
            await posts.delete_comment(user, ref.comment_id or 0)
        return status

    @get(f"{STATUS_PATH}/context", **public_access())
    async def context(
        self, request: Request[Any, Any, Any], status_id: FromPath[str]
    ) -> entities.Context:
        """The status's ancestors (the post, then the comments it answers) and descendants
        (every reply below it, in reading order)."""
        return await Presenter(request, viewer(request)).context(StatusRef.parse(status_id))

    async def _change(
        self,
        request: Request[Any, Any, Any],
        status_id: str,
        change: Callable[[User, int], Awaitable[object]],
        done: str,
    ) -> entities.Status:
        """Apply a like or bookmark change to a post; the status comes back as it now is."""
        post_id = _post_only(StatusRef.parse(status_id), done)
        await change(me(request), post_id)
        return await Presenter(request, me(request)).post(post_id)

    @post(f"{STATUS_PATH}/favourite", status_code=HTTP_200_OK, **needs("write:favourites"))
    async def favourite(self, request: Request[Any, Any, Any], status_id: FromPath[str]) -> Status:
        """Like a post (doing it twice is harmless; comments cannot be liked in Agora: 422)."""
        return await self._change(request, status_id, posts.favourite, "favourited")

    @post(f"{STATUS_PATH}/unfavourite", status_code=HTTP_200_OK, **needs("write:favourites"))
    async def unfavourite(
        self, request: Request[Any, Any, Any], status_id: FromPath[str]
    ) -> Status:
        """Take back a like."""
        return await self._change(request, status_id, posts.unfavourite, "favourited")

    @post(f"{STATUS_PATH}/bookmark", status_code=HTTP_200_OK, **needs("write:bookmarks"))
    async def bookmark(self, request: Request[Any, Any, Any], status_id: FromPath[str]) -> Status:
        """Bookmark a post (comments cannot be bookmarked in Agora: 422)."""
        return await self._change(request, status_id, posts.bookmark, "bookmarked")

    @post(f"{STATUS_PATH}/unbookmark", status_code=HTTP_200_OK, **needs("write:bookmarks"))
    async def unbookmark(self, request: Request[Any, Any, Any], status_id: FromPath[str]) -> Status:
        """Remove a bookmark."""
        return await self._change(request, status_id, posts.unbookmark, "bookmarked")

    @get(f"{STATUS_PATH}/favourited_by", **public_access())
    async def favourited_by(
        self,
        request: Request[Any, Any, Any],
        status_id: FromPath[str],
        window: Window,
    ) -> Response[list[entities.Account]]:
        """Who liked the status, most recent first (a comment has no likes: empty)."""
        ref = StatusRef.parse(status_id)
        presenter = Presenter(request, viewer(request))
        await presenter.status(ref)  # 404 for a missing or hidden status
        if ref.post_id is None:
            return Response([])
        page = await posts.favourited_by_ids(ref.post_id, window)
        found = await presenter.accounts_by_ids([item.item_id for item in page.items])
        return Response(found, headers=link_header(request, page, window.limit))
