"""/admin/users: moderators suspend and reinstate accounts, admins also change roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from domain import moderation
from domain.accounts import ROLES
from web.auth import logged_in_user, requires_staff
from web.forms import Form


@dataclass
class RoleForm:
    role: str = ""
    q: str = ""


@dataclass
class SearchForm:
    q: str = ""


def back_to_list(query: str) -> Redirect:
    return Redirect(
        "/admin/users" + (f"?{urlencode({'q': query})}" if query else ""), status_code=303
    )


class AdminUsersController(Controller):
    path = "/admin/users"
    guards = [requires_staff]

    @get("/")
    async def accounts(
        self, request: Request[Any, Any, Any], q: FromQuery[str] = "", after: FromQuery[str] = ""
    ) -> Template:
        viewer = logged_in_user(request)
        rows = await moderation.find_accounts(q.strip(), after)
        return Template(
            "moderation/users.html",
            context={
                "rows": rows,
                "query": q.strip(),
                "roles": ROLES,
                "viewer": viewer,
                "may_act": {
                    row.username: moderation.may_moderate(viewer, row.username, row.role)
                    for row in rows
                },
                "next_after": rows[-1].username if len(rows) == moderation.PAGE_SIZE else "",
            },
        )

    @post("/{username:str}/suspend")
    async def suspend(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        data: Annotated[SearchForm, Form],
    ) -> Redirect:
        await moderation.suspend(logged_in_user(request), username)
        return back_to_list(data.q)

    @post("/{username:str}/reinstate")
    async def reinstate(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        data: Annotated[SearchForm, Form],
    ) -> Redirect:
        await moderation.reinstate(logged_in_user(request), username)
        return back_to_list(data.q)

    @post("/{username:str}/role")
    async def role(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        data: Annotated[RoleForm, Form],
    ) -> Redirect:
        await moderation.set_role(logged_in_user(request), username, data.role)
        return back_to_list(data.q)
