"""Moderation through the HTTP app: who may suspend, reinstate and change roles, and what a
suspension does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient

from domain import moderation
from domain.accounts import User
from tests.conftest import ROOT
from tests.helpers import post_form, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def make(username: str, role: str) -> None:
    await User.update({User.role: role}).where(User.username == username)


async def state(username: str) -> dict[str, Any]:
    row = await User.select(User.role, User.is_suspended).where(User.username == username).first()
    assert row is not None
    return row


async def test_a_moderator_suspends_and_reinstates_a_member(members: Members) -> None:
    moderator = await members("mod")
    await make("mod", "moderator")
    troll = await members("troll")
    await write_post(troll, "trolling")
    page = await moderator.get("/admin/users?q=tr")
    table = page.text.split("<table", 1)[-1]  # the nav's account menu names the moderator
    assert page.status_code == 200 and "@troll" in table and "@mod<" not in table
    suspended = await post_form(moderator, "/admin/users/troll/suspend", {"q": "tr"})
    assert (suspended.status_code, suspended.headers["location"]) == (303, "/admin/users?q=tr")
    assert (await state("troll"))["is_suspended"] is True
    # Logged out everywhere, hidden everywhere.
    assert (await troll.get("/settings")).status_code == 303
    assert (await moderator.get("/@troll")).status_code == 404
    assert "trolling" not in (await moderator.get("/explore")).text
    assert (await post_form(moderator, "/admin/users/troll/reinstate", {})).status_code == 303
    assert "trolling" in (await moderator.get("/explore")).text


async def test_members_cannot_moderate(client: AsyncClient, members: Members) -> None:
    member = await members("member")
    await members("victim")
    assert (await member.get("/admin/users")).status_code == 403
    refused = await post_form(member, "/admin/users/victim/suspend", {})
    assert refused.status_code == 403
    assert (await state("victim"))["is_suspended"] is False
    assert (await client.get("/admin/users")).headers["location"] == "/login?next=%2Fadmin%2Fusers"


async def test_moderators_cannot_act_on_moderators_admins_or_themselves(members: Members) -> None:
    moderator = await members("mod")
    await members("othermod")
    await members("boss")
    await make("mod", "moderator")
    await make("othermod", "moderator")
    await make("boss", "admin")
    for target in ("othermod", "boss", "mod"):
        assert (await post_form(moderator, f"/admin/users/{target}/suspend", {})).status_code == 403
    assert (
        await post_form(moderator, "/admin/users/othermod/role", {"role": "member"})
    ).status_code == 403
    assert (await state("othermod")) == {"role": "moderator", "is_suspended": False}


async def test_admins_change_roles_and_bad_roles_are_refused(members: Members) -> None:
    admin = await members("boss")
    await members("helper")
    await make("boss", "admin")
    promoted = await post_form(admin, "/admin/users/helper/role", {"role": "moderator"})
    assert promoted.status_code == 303
    assert (await state("helper"))["role"] == "moderator"
    bad = await post_form(admin, "/admin/users/helper/role", {"role": "emperor"})
    assert bad.status_code == 422 and "Role must be one of" in bad.text
    assert (await post_form(admin, "/admin/users/nobody/suspend", {})).status_code == 404
    assert (await post_form(admin, "/admin/users/boss/role", {"role": "member"})).status_code == 403
    page = (await admin.get("/admin/users")).text
    assert 'name="role"' in page and "Change role" in page


async def test_search_escapes_like_wildcards(members: Members) -> None:
    await members("a_b")
    await members("axb")
    names = [row.username for row in await moderation.find_accounts("a_")]
    assert names == ["a_b"]
    assert await moderation.find_accounts("%") == []


def test_the_first_admin_is_made_from_the_command_line(test_database: str) -> None:
    from tests.conftest import run_async

    async def create() -> None:
        from domain import accounts
        from tests.helpers import PASSWORD

        await accounts.sign_up("founder", "Founder", PASSWORD)

    run_async(create)
    result = subprocess.run(
        [sys.executable, "-m", "domain.moderation", "founder", "admin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "@founder is now admin" in result.stdout
