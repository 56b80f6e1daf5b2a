"""`/follow_requests`: the people asking to follow a locked account, each with Accept and
Reject (forms that go back to the list, or, with htmx, swap the row in place), and the count
of waiting requests the main nav shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from domain import accounts, social
from domain.accounts import User
from domain.core.numbers import SERIAL, optional_number, path_id
from web.auth import logged_in_user, requires_login
from web.forms import back_to
from web.htmx import is_htmx

LIST_URL = "/follow_requests"


class FollowRequestController(Controller):
    path = LIST_URL
    guards = [requires_login]

    @get("/")
    async def index(self, request: Request[Any, Any, Any], before: FromQuery[str] = "") -> Template:
        """Who asks to follow, 40 at a time, newest request first, older than the request id
        `before` (a serial) when given."""
        owner = logged_in_user(request)
        page = await social.requests_waiting(
            owner.id, before_id=optional_number(before, "before", SERIAL) or None
        )
        return Template("accounts/follow_requests.html", context={"page": page})

    @post("/{account_id:str}/authorize")
    async def authorize(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> Response[Any]:
        """Accept: the person follows you from now on."""
        return await self._answer(request, account_id, social.accept_request, "accepted")

    @post("/{account_id:str}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> Response[Any]:
        """Reject: the request goes, and nobody is told."""
        return await self._answer(request, account_id, social.reject_request, "rejected")

    async def _answer(
        self,
        request: Request[Any, Any, Any],
        account_id: str,
        answer: Callable[[User, int], Awaitable[None]],
        outcome: str,
    ) -> Response[Any]:
        """Accept or reject (404 when no request waits); without JavaScript back to the list,
        with htmx the row saying what happened, and the nav's count."""
        owner = logged_in_user(request)
        requester_id = path_id(account_id, SERIAL, social.REQUEST_MISSING)
        await answer(owner, requester_id)
        if not is_htmx(request):
            return back_to(LIST_URL)
        return Template(
            "accounts/follow_request_answered.html",
            context={
                "requester_id": requester_id,
                "account": await accounts.visible_user(requester_id),
                "outcome": outcome,
                "waiting": await social.count_requests_waiting(owner.id),
            },
        )
