"""`/api/v1/blocks`: the accounts the caller blocks."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from domain import social
from web.api import entities
from web.api.auth import me, needs
from web.api.paging import BackwardWindow
from web.api.serializers import account_list


class BlocksController(Controller):
    path = "/v1/blocks"
    tags = ["accounts"]

    @get("/", **needs("read:blocks"))
    async def blocks(
        self,
        request: Request[Any, Any, Any],
        backward_window: BackwardWindow,
    ) -> Response[list[entities.Account]]:
        """The accounts the caller blocks, most recent block first; paged with `max_id` and
        `Link`, like the follower lists."""
        page = await social.blocked_accounts(
            me(request).id, backward_window.limit, backward_window.max_id
        )
        return await account_list(request, page, backward_window.limit)
