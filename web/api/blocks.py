"""`/api/v1/blocks`: the accounts the caller blocks."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from domain import social
from domain.core.numbers import SERIAL
from web.api import entities
from web.api.auth import me, needs
from web.api.paging import id_range
from web.api.serializers import account_list


class BlocksController(Controller):
    path = "/v1/blocks"
    tags = ["accounts"]

    @get("/", **needs("read:blocks"))
    async def blocks(
        self,
        request: Request[Any, Any, Any],
        max_id: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
    ) -> Response[list[entities.Account]]:
        """The accounts the caller blocks, most recent block first; paged with `max_id` and
        `Link`, like the follower lists."""
        window = id_range(max_id, None, None, limit, SERIAL)
        page = await social.blocked_accounts(me(request).id, window.limit, window.max_id)
        return await account_list(request, page, window.limit)
