"""`/api/v1/conversations`: the caller's direct conversations
(https://docs.joinmastodon.org/methods/conversations/), newest message first, paged like
Mastodon by the id of each conversation's newest message; marking one read and removing one
from the list. Reading needs `read:statuses`, changing `write:conversations`, as Mastodon's.
A conversation that is not the caller's, or that a block hides, is 404 like a missing one."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from domain import posts
from domain.core.numbers import BIGSERIAL, path_id
from domain.core.paging import KeyedItem, KeyedPage
from domain.posts import ConversationSummary
from web.api import entities
from web.api.auth import me, needs
from web.api.paging import Window, link_header
from web.api.serializers import Presenter

CONVERSATION_PATH = "/{conversation_id:str}"
NOT_FOUND = "Record not found"


def _wanted(raw: str) -> int:
    return path_id(raw, BIGSERIAL, NOT_FOUND)


async def present(
    presenter: Presenter, items: list[ConversationSummary]
) -> list[entities.Conversation]:
    """Entities in the items' order: the other participants as accounts (suspended ones
    left out), the newest message as the status."""
    accounts = {
        int(account.id): account
        for account in await presenter.accounts_by_ids(
            sorted({other.id for item in items for other in item.others})
        )
    }
    statuses = {
        int(status.id): status for status in await presenter.posts([item.post_id for item in items])
    }
    return [
        entities.Conversation(
            id=str(item.id),
            unread=item.unread,
            accounts=[accounts[o.id] for o in item.others if o.id in accounts],
            last_status=statuses.get(item.post_id),
        )
        for item in items
    ]


class ConversationsController(Controller):
    path = "/v1/conversations"
    tags = ["timelines"]

    @get("/", **needs("read:statuses"))
    async def index(
        self, request: Request[Any, Any, Any], window: Window
    ) -> Response[list[entities.Conversation]]:
        """The caller's conversations (not removed, not hidden by a block), newest message
        first, paged by the newest message's id (`max_id`, `since_id`, `min_id`, `limit`,
        `Link` headers), as Mastodon pages them."""
        user = me(request)
        page = await posts.conversation_page(user.id, window)
        keyed = KeyedPage([KeyedItem(item.key, item.id) for item in page.items], page.has_older)
        found = await present(Presenter(request, user), page.items)
        return Response(found, headers=link_header(request, keyed, window.limit))

    @post(f"{CONVERSATION_PATH}/read", status_code=HTTP_200_OK, **needs("write:conversations"))
    async def read(
        self, request: Request[Any, Any, Any], conversation_id: FromPath[str]
    ) -> entities.Conversation:
        """Mark the conversation read; the conversation, read."""
        user = me(request)
        wanted = _wanted(conversation_id)
        await posts.mark_read(user.id, wanted)
        found = await posts.conversation(user.id, wanted)
        return (await present(Presenter(request, user), [found]))[0]

    @delete(CONVERSATION_PATH, status_code=HTTP_200_OK, **needs("write:conversations"))
    async def remove(
        self, request: Request[Any, Any, Any], conversation_id: FromPath[str]
    ) -> dict[str, Any]:
        """Remove the conversation from the caller's list until its next message (its
        statuses stay); an empty object."""
        await posts.remove(me(request).id, _wanted(conversation_id))
        return {}
