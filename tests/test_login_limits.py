"""Log-in limits that stop guessing without locking the owner out: per (account, address)
tight, per address across accounts, and a much higher per-account ceiling; the OAuth
password grant counts against the same limits."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from litestar import Litestar

from domain import accounts
from domain.core.settings import get_settings
from tests.api.helpers import make_app
from tests.conftest import serve_app
from tests.helpers import PASSWORD, as_asgi, failure_page, log_in
from web.rate_limit import address_key

WRONG = "not the password at all"


@asynccontextmanager
async def from_address(app: Litestar, address: str) -> AsyncIterator[AsyncClient]:
    """A browser at `address`, as the server sees its peer."""
    transport = ASGITransport(app=as_asgi(app), client=(address, 40000))
    async with AsyncClient(transport=transport, base_url="http://agora.test") as browser:
        yield browser


async def attempts(app: Litestar, address: str, username: str, count: int) -> list[int]:
    """The status of each wrong guess as the browser ends up seeing it: a refused log-in is
    shown at /login?failed= (Post/Redirect/Get, web/forms.py), a rate-limited one at once."""
    async with from_address(app, address) as browser:
        return [await _wrong_guess(browser, username) for _ in range(count)]


async def _wrong_guess(browser: AsyncClient, username: str) -> int:
    response = await log_in(browser, username, WRONG)
    if response.status_code == 303:
        response = await failure_page(browser, response)
    return response.status_code


async def owner_logs_in(app: Litestar, address: str = "198.51.100.7") -> int:
    async with from_address(app, address) as browser:
        return (await log_in(browser, "owner", PASSWORD)).status_code


@pytest.fixture
async def owner(app: Litestar) -> None:
    await accounts.sign_up("owner", "Owner", PASSWORD)


@pytest.mark.usefixtures("owner")
async def test_ten_wrong_from_one_address_stop_that_address_only(app: Litestar) -> None:
    assert await attempts(app, "203.0.113.5", "owner", 10) == [401] * 10
    async with from_address(app, "203.0.113.5") as browser:
        refused = await log_in(browser, "OWNER", PASSWORD)  # any case is the same account
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts. Please wait" in refused.text
    # The owner, elsewhere, is not locked out; the attacker's address may try other accounts.
    assert await owner_logs_in(app) == 303
    assert await attempts(app, "203.0.113.5", "someone_else", 1) == [401]


@pytest.mark.usefixtures("owner")
async def test_rotating_addresses_meet_the_per_account_ceiling_after_a_hundred(
    app: Litestar,
) -> None:
    for number in range(1, 12):  # 99 guesses from 11 addresses, each under its own limit
        assert await attempts(app, f"192.0.2.{number}", "owner", 9) == [401] * 9
    assert await attempts(app, "192.0.2.12", "owner", 2) == [401, 429]  # the 100th, the 101st
    assert await owner_logs_in(app) == 429  # past the per-account ceiling of 100 an hour


@pytest.mark.usefixtures("owner")
async def test_ninety_guesses_from_rotating_addresses_leave_the_owner_in(app: Litestar) -> None:
    for number in range(1, 11):  # the attack that used to lock the owner out (10 guesses)
        assert await attempts(app, f"192.0.2.{number}", "owner", 9) == [401] * 9
    assert await owner_logs_in(app) == 303


@pytest.mark.usefixtures("owner")
async def test_one_address_trying_many_accounts_is_stopped(app: Litestar) -> None:
    for number in range(50):
        assert await attempts(app, "203.0.113.9", f"user{number}", 1) == [401]
    assert await attempts(app, "203.0.113.9", "owner", 1) == [429]
    assert await owner_logs_in(app) == 303  # another address is not affected


async def test_limits_come_from_the_settings() -> None:
    settings = dataclasses.replace(
        get_settings(),
        login_attempts_per_account_and_address=2,
        login_attempts_per_address=3,
        login_attempts_per_account=4,
    )
    async with serve_app(settings) as application:
        await accounts.sign_up("owner", "Owner", PASSWORD)
        assert await attempts(application, "192.0.2.1", "owner", 3) == [401, 401, 429]
        assert await attempts(application, "192.0.2.2", "a", 1) == [401]
        assert await attempts(application, "192.0.2.2", "b", 1) == [401]
        assert await attempts(application, "192.0.2.2", "c", 2) == [401, 429]
        # The third try at .1 was refused before reaching the account's count: 2 so far.
        assert await attempts(application, "192.0.2.3", "owner", 3) == [401, 401, 429]
        assert await owner_logs_in(application) == 429


def test_ipv6_addresses_count_by_their_64_prefix() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert address_key("203.0.113.5") == "203.0.113.5"
    assert address_key("unknown") == "unknown"


@pytest.mark.usefixtures("owner")
async def test_addresses_in_one_ipv6_64_share_a_limit(app: Litestar) -> None:
    for number in range(1, 11):
        assert await attempts(app, f"2001:db8:1:2::{number:x}", "owner", 1) == [401]
    assert await attempts(app, "2001:db8:1:2:ffff::1", "owner", 1) == [429]
    assert await attempts(app, "2001:db8:1:3::1", "owner", 1) == [401]


async def _password_grant(program: AsyncClient, registered: Any, password: str) -> Response:
    return await program.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "owner",
            "password": password,
            "client_id": registered.app.client_id,
            "client_secret": registered.client_secret,
            "scope": "read",
        },
    )


@pytest.mark.usefixtures("owner")
async def test_the_password_grant_counts_against_the_same_limits(app: Litestar) -> None:
    registered = await make_app()
    assert await attempts(app, "203.0.113.5", "owner", 10) == [401] * 10
    async with from_address(app, "203.0.113.5") as program:
        response = await _password_grant(program, registered, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.json()["error"]
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.usefixtures("owner")
async def test_log_ins_that_succeed_count_nothing(app: Litestar) -> None:
    """The owner signing in on each device (or a client asking for a token again and again)
    is never throttled; only failures count, so ten of them still end the guessing."""
    registered = await make_app()
    for _ in range(15):
        assert await owner_logs_in(app, "203.0.113.5") == 303
    async with from_address(app, "203.0.113.5") as program:
        right = [await _password_grant(program, registered, PASSWORD) for _ in range(15)]
        wrong = [await _password_grant(program, registered, WRONG) for _ in range(11)]
    assert [response.status_code for response in right] == [200] * 15
    assert [response.status_code for response in wrong] == [400] * 10 + [429]
    assert await owner_logs_in(app, "203.0.113.5") == 429


@pytest.mark.usefixtures("owner")
async def test_the_refused_log_in_keeps_the_name_and_says_when_to_try_again(
    app: Litestar,
) -> None:
    assert await attempts(app, "203.0.113.5", "owner", 10) == [401] * 10
    async with from_address(app, "203.0.113.5") as browser:
        refused = await log_in(browser, "owner", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    # The log-in page itself, with the name as typed and the reason at the top of the form.
    assert "<h1>Log in</h1>" in refused.text
    assert 'value="owner"' in refused.text
    assert "Too many attempts. Please wait" in refused.text
