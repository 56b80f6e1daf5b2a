"""`/api/v1/follow_requests`: who asks to follow the caller's locked account, and answering
them (https://docs.joinmastodon.org/methods/follow_requests/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from domain import social
from domain.accounts import User
from domain.core.numbers import SERIAL, path_id
from web.api import entities
from web.api.auth import me, needs
from web.api.paging import BackwardWindow
from web.api.serializers import Presenter, account_list

NOT_FOUND = "Record not found"


class FollowRequestsController(Controller):
    path = "/v1/follow_requests"
    tags = ["accounts"]

    @get("/", **needs("read:follows"))
    async def index(
        self,
        request: Request[Any, Any, Any],
        backward_window: BackwardWindow,
    ) -> Response[list[entities.Account]]:
        """The accounts asking to follow the caller, newest request first; paged with
        `max_id` (a request's id) and `Link`, like the follower lists."""
        page = await social.requests_waiting(
            me(request).id, backward_window.limit, backward_window.max_id
        )
        return await account_list(request, page, backward_window.limit)

    @post("/{account_id:str}/authorize", status_code=HTTP_200_OK, **needs("write:follows"))
    async def authorize(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Accept the account's request: it follows the caller from now on. 404 when the
        account has no request waiting (never made, withdrawn, already answered)."""
        return await self._answer(request, account_id, social.accept_request)

    @post("/{account_id:str}/reject", status_code=HTTP_200_OK, **needs("write:follows"))
    async def reject(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Reject the account's request; it is not told. 404 as for `authorize`."""
        return await self._answer(request, account_id, social.reject_request)

    async def _answer(
        self,
        request: Request[Any, Any, Any],
        account_id: str,
        answer: Callable[[User, int], Awaitable[None]],
    ) -> entities.Relationship:
        """Accept or reject; the relationship with the account afterwards."""
        owner = me(request)
        requester_id = path_id(account_id, SERIAL, NOT_FOUND)
        await answer(owner, requester_id)
        found = await social.relationships(owner.id, [requester_id])
        return Presenter(request, owner).relationship(requester_id, found[requester_id])
