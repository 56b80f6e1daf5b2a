"""`/messages`: direct messages. The list of one's conversations (newest first, paged by
the newest message's id), a conversation's page (its newest messages oldest first, paged back
by "Earlier messages", a reply form at the bottom; opening it marks it read), starting one
from a profile (`/messages/new?to=`), and removing one from the list. Plain forms with 303s;
htmx sends a reply in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from domain import accounts, posts
from domain.core.errors import ValidationFailed
from domain.core.numbers import BIGSERIAL, optional_number, path_id
from domain.core.paging import IdRange
from web.auth import logged_in_user, requires_login
from web.forms import Form
from web.htmx import is_htmx
from web.nav import UNREAD_MESSAGES_STATE_KEY

CONVERSATIONS_PER_PAGE = 20


@dataclass
class MessageForm:
    text: str = ""


@dataclass
class NewMessageForm:
    to: str = ""
    text: str = ""


def _conversation_id(raw: str) -> int:
    return path_id(raw, BIGSERIAL, posts.CONVERSATION_MISSING)


def _errors(failure: ValidationFailed) -> dict[str, str]:
    # Both forms show one text box: whatever is wrong with the message is said beside it.
    return {"text": "; ".join(failure.errors.values())}


async def _conversation_page(
    request: Request[Any, Any, Any],
    conversation_id: int,
    text: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    before: int | None = None,
) -> Template:
    viewer = logged_in_user(request)
    found = await posts.conversation(viewer.id, conversation_id)
    shown = await posts.messages(viewer.id, conversation_id, before)
    if before is not None and is_htmx(request):
        return Template(
            "messages/earlier.html",
            context={
                "conversation": found,
                "page": shown,
                "viewer": viewer,
                "focus_first": True,
            },
        )
    if found.unread and before is None:
        await posts.mark_read(viewer.id, conversation_id)
        # The nav was counted before this page read the conversation.
        if (unread := request.state.get(UNREAD_MESSAGES_STATE_KEY)) is not None:
            request.state[UNREAD_MESSAGES_STATE_KEY] = max(unread - 1, 0)
    return Template(
        "messages/show.html",
        context={
            "conversation": found,
            "page": shown,
            "earlier_page": before is not None,
            "viewer": viewer,
            "values": {"text": text},
            "errors": errors or {},
        },
        status_code=status_code,
    )


class MessagesController(Controller):
    path = "/messages"
    guards = [requires_login]

    @get("/")
    async def index(self, request: Request[Any, Any, Any], before: FromQuery[str] = "") -> Template:
        """The member's conversations, newest message first, older than the message id
        `before` (a bigserial) when given; htmx's "Older" gets only the next page, in place."""
        older_than = optional_number(before, "before", BIGSERIAL)
        window = IdRange(max_id=older_than, limit=CONVERSATIONS_PER_PAGE)
        page = await posts.conversation_page(logged_in_user(request).id, window)
        in_place = older_than is not None and is_htmx(request)
        template = "messages/more.html" if in_place else "messages/index.html"
        return Template(
            template,
            context={
                "page": page,
                "first_page": older_than is None,
                "viewer": logged_in_user(request),
            },
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], to: FromQuery[str] = "") -> Template:
        """The form for a first message to the account `to` names (404 for an unknown one,
        403 across a block)."""
        viewer = logged_in_user(request)
        recipient = await accounts.get_profile(to)
        await posts.refuse_across_blocks(viewer.id, [recipient.id])
        return Template(
            "messages/new.html",
            context={"recipient": recipient, "values": {"text": ""}, "errors": {}},
        )

    @post("/new")
    async def send_new(
        self, request: Request[Any, Any, Any], data: Annotated[NewMessageForm, Form]
    ) -> Response[Any]:
        """Send the first message (a direct post mentioning the recipient), then 303 to its
        conversation; 422 with the form again for a bad text."""
        viewer = logged_in_user(request)
        try:
            sent = await posts.start(viewer, data.to, data.text)
        except ValidationFailed as failure:
            recipient = await accounts.get_profile(data.to)
            return Template(
                "messages/new.html",
                context={
                    "recipient": recipient,
                    "values": {"text": data.text},
                    "errors": _errors(failure),
                },
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Redirect(f"/messages/{sent.conversation}#message-{sent.id}", status_code=303)

    @get("/{conversation_id:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        conversation_id: FromPath[str],
        before: FromQuery[str] = "",
    ) -> Template:
        """One of the member's conversations, its newest messages oldest first (marking it
        read), or those older than the message id `before` (a bigserial); htmx's "Earlier
        messages" gets only those, in place."""
        earlier_than = optional_number(before, "before", BIGSERIAL)
        return await _conversation_page(
            request, _conversation_id(conversation_id), before=earlier_than
        )

    @post("/{conversation_id:str}")
    async def reply(
        self,
        request: Request[Any, Any, Any],
        conversation_id: FromPath[str],
        data: Annotated[MessageForm, Form],
    ) -> Response[Any]:
        """Send a message to everyone in the conversation. Without JavaScript, 303 to it (to
        the conversation it started, if the text names someone new); htmx gets the message to
        append and an empty form. A bad text: 422 with the form and the reason."""
        viewer = logged_in_user(request)
        wanted = _conversation_id(conversation_id)
        try:
            sent = await posts.reply(viewer, wanted, data.text)
        except ValidationFailed as failure:
            if is_htmx(request):
                return Template(
                    "messages/reply_form.html",
                    context={
                        "conversation_id": wanted,
                        "values": {"text": data.text},
                        "errors": _errors(failure),
                    },
                    status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                    headers={"HX-Retarget": "#message-form", "HX-Reswap": "outerHTML"},
                )
            return await _conversation_page(
                request, wanted, data.text, _errors(failure), HTTP_422_UNPROCESSABLE_ENTITY
            )
        where = f"/messages/{sent.conversation}#message-{sent.id}"
        if not is_htmx(request):
            return Redirect(where, status_code=303)
        if sent.conversation != wanted:
            # The text named someone new: that is another conversation, so go there.
            return Response("", headers={"HX-Redirect": where})
        author = posts.Participant(viewer.id, viewer.username, viewer.display_name, viewer.avatar)
        return Template(
            "messages/sent.html",
            context={
                "message": posts.Message(sent.id, sent.text, sent.created_at, author),
                "conversation_id": wanted,
                "viewer": viewer,
                "values": {"text": ""},
                "errors": {},
            },
        )

    @post("/{conversation_id:str}/remove")
    async def remove(
        self, request: Request[Any, Any, Any], conversation_id: FromPath[str]
    ) -> Redirect:
        """Take the conversation off the member's list until its next message."""
        await posts.remove(logged_in_user(request).id, _conversation_id(conversation_id))
        return Redirect("/messages", status_code=303)
