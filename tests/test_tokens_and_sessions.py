"""Tokens and sessions end when they should: a suspension ends every session, API token and
pending authorization code for good (reinstatement revives none), and "Log out everywhere"
ends browser sessions, and app tokens too when asked."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient
from litestar import Litestar

from domain import oauth
from domain.accounts import Session, User
from domain.oauth import AccessToken
from tests.api.helpers import make_app, token_for
from tests.conftest import http_client
from tests.helpers import PASSWORD, log_in, post_form, rendered_form

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def user(username: str) -> User:
    found = await User.objects().where(User.username == username).first()
    assert found is not None
    return found


async def api_status(client: AsyncClient, token: str) -> int:
    response = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def logged_in(client: AsyncClient) -> bool:
    """Whether the client's session cookie is live (the settings page needs a log-in)."""
    return (await client.get("/settings")).status_code == 200


async def moderator_and_target(members: Members) -> tuple[AsyncClient, AsyncClient]:
    moderator = await members("mod")
    await User.update({User.role: "moderator"}).where(User.username == "mod")
    return moderator, await members("troll")


async def test_suspension_ends_tokens_and_sessions_for_good(
    members: Members, client: AsyncClient
) -> None:
    moderator, troll = await moderator_and_target(members)
    troll_user = await user("troll")
    tokens = [await token_for(troll_user), await token_for(troll_user, "read")]
    other = await token_for(await user("mod"))
    assert [await api_status(client, token) for token in tokens] == [200, 200]

    assert (await post_form(moderator, "/admin/users/troll/suspend", {})).status_code == 303
    assert [await api_status(client, token) for token in tokens] == [401, 401]
    assert not await logged_in(troll)
    assert await AccessToken.count().where(AccessToken.revoked_at.is_null()) == 1  # mod's

    assert (await post_form(moderator, "/admin/users/troll/reinstate", {})).status_code == 303
    # Reinstated: the member can log in afresh, but nothing from before works again.
    assert [await api_status(client, token) for token in tokens] == [401, 401]
    assert not await logged_in(troll)
    assert await Session.count().where(Session.user == troll_user.id) == 0
    assert await api_status(client, other) == 200  # the moderator's own token is untouched
    assert (await log_in(troll, "troll", PASSWORD)).status_code == 303
    assert await logged_in(troll)
    assert await api_status(client, await token_for(await user("troll"))) == 200


async def test_suspension_forgets_codes_waiting_to_be_exchanged(members: Members) -> None:
    moderator, _ = await moderator_and_target(members)
    registered = await make_app()
    request = oauth.check_authorization_request(
        registered.app,
        oauth.OOB_REDIRECT_URI,
        response_type="code",
        scope="read",
        state=None,
        code_challenge=None,
        code_challenge_method=None,
    )
    code = await oauth.issue_code(await user("troll"), request)
    await post_form(moderator, "/admin/users/troll/suspend", {})
    await post_form(moderator, "/admin/users/troll/reinstate", {})
    response = await moderator.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": oauth.OOB_REDIRECT_URI,
            "client_id": registered.app.client_id,
            "client_secret": registered.client_secret,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_the_settings_page_offers_to_sign_out_apps_too(members: Members) -> None:
    alice = await members("alice")
    page = (await alice.get("/settings")).text
    assert '<input type="checkbox" id="end-all-apps" name="apps" value="revoke"' in page
    assert '<label for="end-all-apps">Also sign out apps</label>' in page


async def test_log_out_everywhere_keeps_app_tokens_unless_asked(
    members: Members, app: Litestar, client: AsyncClient
) -> None:
    alice = await members("alice")
    async with http_client(app) as laptop:
        assert (await log_in(laptop, "alice", PASSWORD)).status_code == 303
        token = await token_for(await user("alice"))
        url, fields = rendered_form((await alice.get("/settings")).text, "/settings/sessions")
        response = await alice.post(url, data=fields)  # the box left unticked
        assert (response.status_code, response.headers["location"]) == (303, "/login")
        assert not await logged_in(alice) and not await logged_in(laptop)
        assert await api_status(client, token) == 200


async def test_log_out_everywhere_with_apps_revokes_every_token_of_the_member(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    bob = await members("bob")
    tokens = [await token_for(await user("alice")), await token_for(await user("alice"), "read")]
    bob_token = await token_for(await user("bob"))

    url, fields = rendered_form((await alice.get("/settings")).text, "/settings/sessions")
    response = await alice.post(url, data={**fields, "apps": "revoke"})
    assert response.status_code == 303
    assert [await api_status(client, token) for token in tokens] == [401, 401]
    assert not await logged_in(alice)
    assert await api_status(client, bob_token) == 200 and await logged_in(bob)
    assert (await client.get("/oauth/authorized_applications")).status_code == 303


async def test_an_unknown_apps_value_signs_out_browsers_only(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    token = await token_for(await user("alice"))
    for value in ("", "yes", "REVOKE"):
        await log_in(alice, "alice", PASSWORD)
        url, fields = rendered_form((await alice.get("/settings")).text, "/settings/sessions")
        assert (await alice.post(url, data={**fields, "apps": value})).status_code == 303
        assert await api_status(client, token) == 200


async def test_log_out_everywhere_needs_a_log_in_and_a_token(
    members: Members, client: AsyncClient
) -> None:
    response = await client.post("/settings/sessions/end-all", data={"apps": "revoke"})
    assert response.status_code == 403  # no CSRF token: nothing happens
    alice = await members("alice")
    token = await token_for(await user("alice"))
    refused = await alice.post("/settings/sessions/end-all", data={"apps": "revoke"})
    assert refused.status_code == 403
    assert await logged_in(alice) and await api_status(client, token) == 200
