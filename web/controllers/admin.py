"""/admin/users: moderators suspend and reinstate accounts, admins also change roles.
/admin/jobs: staff see the background jobs that failed every attempt and run them again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from domain import moderation
from domain.accounts import ROLES, User
from domain.core import dead_letters
from domain.core.numbers import BIGSERIAL, optional_number, path_id
from domain.core.outbox import Job
from web.auth import logged_in_user, requires_staff
from web.forms import Form


@dataclass
class RoleForm:
    role: str = ""
    q: str = ""


@dataclass
class SearchForm:
    q: str = ""


async def _moderate(
    request: Request[Any, Any, Any],
    username: str,
    query: str,
    action: Callable[[User, str], Awaitable[User]],
) -> Redirect:
    """Suspend or reinstate the account, then back to the list as it was searched."""
    await action(logged_in_user(request), username)
    return back_to_list(query)


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
        return await _moderate(request, username, data.q, moderation.suspend)

    @post("/{username:str}/reinstate")
    async def reinstate(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        data: Annotated[SearchForm, Form],
    ) -> Redirect:
        return await _moderate(request, username, data.q, moderation.reinstate)

    @post("/{username:str}/role")
    async def role(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        data: Annotated[RoleForm, Form],
    ) -> Redirect:
        await moderation.set_role(logged_in_user(request), username, data.role)
        return back_to_list(data.q)


class AdminJobsController(Controller):
    path = "/admin/jobs"
    guards = [requires_staff]

    @get("/")
    async def failed_jobs(
        self, before: FromQuery[str | None] = None, ran: FromQuery[str | None] = None
    ) -> Template:
        """The dead-letter record, newest first, PAGE_SIZE a page (`before`: an id); `ran`
        names the job just sent back to the queue, for the confirmation line."""
        letters = await dead_letters.page(optional_number(before, "before", BIGSERIAL))
        return Template(
            "moderation/jobs.html",
            context={
                "letters": letters,
                "total": await dead_letters.count(),
                "ran": ran if ran in {job.value for job in Job} else "",
                "next_before": letters[-1].id if len(letters) == dead_letters.PAGE_SIZE else None,
            },
        )

    @post("/{letter_id:str}/run-again")
    async def run_again(self, letter_id: FromPath[str]) -> Redirect:
        """Send one failed job back through the outbox, then show the list (303)."""
        job = await dead_letters.run_again(path_id(letter_id, BIGSERIAL, dead_letters.GONE))
        return Redirect(f"/admin/jobs?{urlencode({'ran': job.value})}", status_code=303)
