"""Sign-up, log-in, log-out and sessions through the HTTP app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from litestar import Litestar

from domain.accounts import Session, User
from tests.conftest import http_client
from tests.helpers import PASSWORD, csrf_token, failure_page, log_in, log_out, post_form, sign_up


async def whoami(client: AsyncClient) -> str | None:
    match = re.search(
        r"Logged in as .* \(<a href=\"/@\w+\">@(\w+)</a>\)", (await client.get("/")).text
    )
    return match.group(1) if match else None


async def test_pages_have_the_labelled_fields_and_buttons(client: AsyncClient) -> None:
    signup = (await client.get("/signup")).text
    for name, label in [
        ("username", "Username"),
        ("display_name", "Display name"),
        ("password", "Password"),
    ]:
        assert f'<label for="field-{name}">{label}</label>' in signup
        assert f'id="field-{name}" name="{name}"' in signup
    assert '<button type="submit">Sign up</button>' in signup
    login = (await client.get("/login")).text
    assert '<button type="submit">Log in</button>' in login
    assert "display_name" not in login


async def test_sign_up_logs_in_and_lands_home(client: AsyncClient) -> None:
    response = await sign_up(client, "Alice_1", display_name="Alice Liddell")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "agora_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert await whoami(client) == "Alice_1"
    user = await User.objects().where(User.username == "Alice_1").first()
    assert user is not None and user.display_name == "Alice Liddell"
    assert user.password_hash.startswith("$argon2id$")


async def test_duplicate_username_in_any_case_is_409_and_keeps_input(
    client: AsyncClient,
) -> None:
    await sign_up(client, "alice")
    await log_out(client)
    response = await failure_page(
        client, await sign_up(client, "ALICE", display_name="Other Alice")
    )
    assert response.status_code == 409
    assert "That username is taken" in response.text
    assert 'value="ALICE"' in response.text and 'value="Other Alice"' in response.text
    assert await User.count() == 1


async def test_invalid_sign_up_shows_errors_next_to_fields_without_echoing_password(
    client: AsyncClient,
) -> None:
    response = await failure_page(
        client,
        await post_form(
            client,
            "/signup",
            {"username": "bad name!", "display_name": "x" * 51, "password": "hunter2"},
        ),
    )
    assert response.status_code == 422
    for field in ("username", "display_name", "password"):
        assert f'aria-describedby="hint-{field} error-{field}"' in response.text
        assert f'<p class="field-error" id="error-{field}">' in response.text
    assert 'value="bad name!"' in response.text
    assert "hunter2" not in response.text
    assert await User.count() == 0


async def test_missing_fields_are_a_form_error_not_a_crash(client: AsyncClient) -> None:
    response = await failure_page(client, await post_form(client, "/signup", {}))
    assert response.status_code == 422
    assert "Enter a username." in response.text


async def test_log_out_then_log_in_with_any_case(client: AsyncClient) -> None:
    await sign_up(client, "bob")
    response = await log_out(client)
    assert response.status_code == 303
    assert await whoami(client) is None
    assert await Session.count() == 0
    response = await log_in(client, "BOB")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert await whoami(client) == "bob"


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: AsyncClient,
) -> None:
    await sign_up(client, "carol")
    await log_out(client)
    wrong = await failure_page(client, await log_in(client, "carol", "not the password"))
    unknown = await failure_page(client, await log_in(client, "nobody_here", "not the password"))
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert response.text.count("Wrong username or password.") == 1
        assert "not the password" not in response.text
    assert 'value="carol"' in wrong.text
    assert await whoami(client) is None


async def test_log_in_returns_to_a_safe_next_only(client: AsyncClient) -> None:
    await sign_up(client, "dave")
    await log_out(client)
    response = await post_form(
        client, "/login", {"username": "dave", "password": PASSWORD, "next": "/settings"}
    )
    assert response.headers["location"] == "/settings"
    await log_out(client)
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await post_form(
            client, "/login", {"username": "dave", "password": PASSWORD, "next": hostile}
        )
        assert response.headers["location"] == "/"
        await log_out(client)


async def test_session_id_is_rotated_at_log_in(client: AsyncClient) -> None:
    await sign_up(client, "erin")
    first = client.cookies["agora_session"]
    await log_in(client, "erin")
    second = client.cookies["agora_session"]
    assert first != second
    assert await Session.count() == 1  # the old session was ended, not left alive


async def test_log_out_everywhere_ends_every_session(app: Litestar, client: AsyncClient) -> None:
    await sign_up(client, "frank")
    async with http_client(app) as other_device:
        await log_in(other_device, "frank")
        assert await Session.count() == 2
        settings_page = await client.get("/settings")
        assert "logged in on 2 devices" in settings_page.text
        response = await post_form(client, "/settings/sessions/end-all", {})
        assert response.status_code == 303
        assert await Session.count() == 0
        assert (await other_device.get("/settings")).status_code == 303


async def test_settings_needs_log_in(client: AsyncClient) -> None:
    response = await client.get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"


async def test_unsafe_requests_without_csrf_token_are_refused(client: AsyncClient) -> None:
    await csrf_token(client)
    response = await client.post(
        "/signup", data={"username": "mallory", "password": PASSWORD, "display_name": "M"}
    )
    assert response.status_code == 403
    assert "form has expired" in response.text
    assert await User.count() == 0

    await sign_up(client, "grace")
    response = await client.post("/logout", data={"_csrf_token": "forged" * 20})
    assert response.status_code == 403
    assert await Session.count() == 1


async def test_csrf_header_works_for_htmx_requests(client: AsyncClient) -> None:
    await sign_up(client, "heidi")
    token = await csrf_token(client)
    response = await client.post("/logout", headers={"x-csrftoken": token, "hx-request": "true"})
    assert response.status_code == 303
    assert await Session.count() == 0


async def test_log_in_rate_limit_per_username(client: AsyncClient) -> None:
    await sign_up(client, "ivan")
    await log_out(client)
    for _ in range(10):
        refused = await failure_page(client, await log_in(client, "ivan", "wrong password!"))
        assert refused.status_code == 401
    response = await log_in(client, "ivan", PASSWORD)
    assert response.status_code == 429
    # Ten per account and address in a quarter of an hour (tests/test_login_limits.py).
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts" in response.text
    assert await whoami(client) is None


async def test_sign_up_rate_limit_per_ip(client: AsyncClient) -> None:
    for number in range(20):
        assert (await sign_up(client, f"user{number}")).status_code == 303
    response = await sign_up(client, "one_too_many")
    assert response.status_code == 429
    assert "retry-after" in response.headers
    assert await User.count() == 20


async def test_suspended_users_sessions_stop_working(client: AsyncClient) -> None:
    await sign_up(client, "judy")
    await User.update({User.is_suspended: True}).where(User.username == "judy")
    assert await whoami(client) is None


async def test_an_expired_session_is_a_visitor(client: AsyncClient) -> None:
    await sign_up(client, "ken")
    assert await whoami(client) == "ken"
    await Session.update({Session.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        Session.user.username == "ken"
    )
    assert await whoami(client) is None
