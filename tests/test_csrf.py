"""CSRF tokens are bound to the session: a logged-in request must carry its own session's token,
so a planted CSRF cookie (with the token that matches it) is worthless. Visitors' forms keep
the double-submit cookie. Over https both cookies carry the `__Host-` prefix."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Coroutine
from typing import Any

from httpx import ASGITransport, AsyncClient
from litestar import Litestar

from domain.core.settings import get_settings
from domain.posts import Post
from tests.conftest import http_client, serve_app
from tests.helpers import (
    CSRF_COOKIE,
    PASSWORD,
    as_asgi,
    log_in,
    log_out,
    rendered_form,
    sign_up,
)
from web.auth import session_csrf_token

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
SECRET = "test-secret-key-not-for-production"


def page_token(html: str) -> str:
    """The token a page gives htmx (`hx-headers`) and its forms."""
    match = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]*)"\}\'', html)
    assert match, "no hx-headers on the page"
    return match.group(1)


async def visitor_token(client: AsyncClient) -> str:
    await client.get("/login")
    return str(client.cookies[CSRF_COOKIE])


async def test_a_planted_cookie_and_its_token_do_not_pass_for_a_member(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    # The attacker's own, perfectly valid, visitor pair, planted in Alice's browser.
    planted = await visitor_token(client)
    alice.cookies.set(CSRF_COOKIE, planted, domain="agora.test")
    for send in (
        alice.post("/posts", data={"text": "Forged", "_csrf_token": planted}),
        alice.post("/posts", data={"text": "Forged"}, headers={"x-csrftoken": planted}),
    ):
        response = await send
        assert response.status_code == 403
        assert "This form has expired or was sent from another site" in response.text
    assert await Post.count() == 0


async def test_pages_give_the_session_token_and_it_works_as_field_and_header(
    members: Members,
) -> None:
    alice = await members("alice")
    html = (await alice.get("/")).text
    token = page_token(html)
    session = alice.cookies["agora_session"]
    assert token == session_csrf_token(session, SECRET)
    url, fields = rendered_form(html, "/posts")
    assert fields["_csrf_token"] == token
    # The cookie is refreshed to the session's token, for clients that read it.
    assert alice.cookies[CSRF_COOKIE] == token
    assert (await alice.post(url, data={**fields, "text": "By form"})).status_code == 303
    by_header = await alice.post(
        "/posts", data={"text": "By htmx"}, headers={"x-csrftoken": token, "HX-Request": "true"}
    )
    assert by_header.status_code in (200, 303)
    assert await Post.count() == 2


async def test_a_token_given_twice_is_refused_whichever_comes_first(members: Members) -> None:
    """The edge refuses a url-encoded field given twice; in a multipart body the check sees
    two tokens and takes neither, so a valid one beside a forged one passes nothing."""
    alice = await members("alice")
    token = page_token((await alice.get("/")).text)
    for pair in ([token, "forged"], ["forged", token], [token, token]):
        parts = [("text", (None, b"twice")), *(("_csrf_token", (None, t.encode())) for t in pair)]
        assert (await alice.post("/posts", files=parts)).status_code == 403, pair
        encoded = "&".join(f"_csrf_token={t}" for t in pair) + "&text=twice"
        response = await alice.post(
            "/posts",
            content=encoded.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 400, pair
    assert await Post.count() == 0


async def test_a_stale_csrf_cookie_is_replaced_by_the_sessions_token(members: Members) -> None:
    alice = await members("alice")
    alice.cookies.set(CSRF_COOKIE, "stale", domain="agora.test")
    response = await alice.get("/settings")
    assert response.status_code == 200
    assert alice.cookies[CSRF_COOKIE] == page_token(response.text)


async def test_tokens_of_other_sessions_are_refused(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    bobs = page_token((await bob.get("/")).text)
    old = page_token((await alice.get("/")).text)
    await log_out(alice)
    await log_in(alice, "alice", PASSWORD)  # a new session, so a new token
    new = page_token((await alice.get("/")).text)
    assert len({bobs, old, new}) == 3
    for token in (bobs, old, "", "x" * 64, new.upper(), "é" * 64, new + "0"):
        response = await alice.post("/posts", data={"text": "Nope", "_csrf_token": token})
        assert response.status_code == 403, token
    assert (await alice.post("/posts", data={"text": "Yes", "_csrf_token": new})).status_code == 303
    assert await Post.count() == 1


async def test_missing_token_is_refused_for_members_and_visitors(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    assert (await alice.post("/posts", data={"text": "No token"})).status_code == 403
    assert (await alice.post("/logout")).status_code == 403
    assert (await alice.get("/settings")).status_code == 200  # still logged in
    await client.get("/login")
    refused = await client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 403


async def test_visitors_keep_the_double_submit_cookie(app: Litestar, client: AsyncClient) -> None:
    token = await visitor_token(client)
    for bad in ("é" * 80, token[:-1], token + "0", ""):
        refused = await client.post("/login", data={"username": "carol", "_csrf_token": bad})
        assert refused.status_code == 403, bad
    html = (await client.get("/signup")).text
    assert page_token(html) == token
    url, fields = rendered_form(html, "/signup")
    response = await client.post(
        url, data={**fields, "username": "carol", "display_name": "C", "password": PASSWORD}
    )
    assert response.status_code == 303
    # Logged in, the cookie now holds the new session's token, so the next form works at once.
    assert client.cookies[CSRF_COOKIE] == session_csrf_token(
        client.cookies["agora_session"], SECRET
    )
    async with http_client(app) as mismatched:
        await visitor_token(mismatched)
        response = await mismatched.post(
            "/login", data={"username": "carol", "password": PASSWORD, "_csrf_token": token}
        )
        assert response.status_code == 403


async def test_a_visitors_cookie_this_site_did_not_sign_is_replaced(client: AsyncClient) -> None:
    """After SECRET_KEY changes, or with a cookie planted by someone else, the log-in form
    still works: the page gives a fresh signed token instead of echoing the old one."""
    for foreign in ("0" * 80, "a" * 64 + "b" * 64, "not-a-token"):
        client.cookies.set(CSRF_COOKIE, foreign, domain="agora.test")
        html = (await client.get("/login")).text
        fresh = page_token(html)
        assert fresh != foreign and client.cookies[CSRF_COOKIE] == fresh
        response = await client.post(
            "/login", data={"username": "nobody", "password": "wrong", "_csrf_token": fresh}
        )
        assert response.status_code != 403, foreign  # past the CSRF check: a failed log-in


def https_client(application: Litestar) -> AsyncClient:
    return AsyncClient(
        transport=ASGITransport(app=as_asgi(application)), base_url="https://agora.test"
    )


def set_cookie_headers(response: Any) -> list[str]:
    return [value for name, value in response.headers.multi_items() if name == "set-cookie"]


async def test_over_https_cookies_take_the_host_prefix() -> None:
    settings = dataclasses.replace(get_settings(), public_url="https://agora.test")
    async with serve_app(settings) as application, https_client(application) as client:
        first = await client.get("/signup")
        (csrf,) = set_cookie_headers(first)
        assert csrf.startswith("__Host-agora_csrf=")
        assert "Secure" in csrf and "Path=/" in csrf and "Domain" not in csrf
        url, fields = rendered_form(first.text, "/signup")
        signed_up = await client.post(
            url,
            data={**fields, "username": "dora", "display_name": "D", "password": PASSWORD},
        )
        assert signed_up.status_code == 303
        cookies = set_cookie_headers(signed_up)
        session = next(c for c in cookies if c.startswith("__Host-agora_session="))
        assert "Secure" in session and "HttpOnly" in session and "Domain" not in session
        assert (await client.get("/settings")).status_code == 200

        # An unprefixed cookie (one a sibling subdomain could set) means nothing here.
        token = client.cookies["__Host-agora_session"]
        async with https_client(application) as planted:
            planted.cookies.set("agora_session", token, domain="agora.test")
            assert (await planted.get("/settings")).status_code == 303

        html = (await client.get("/settings")).text
        url, fields = rendered_form(html, "/logout")
        logged_out = await client.post(url, data=fields)
        assert logged_out.status_code == 303
        cookies = set_cookie_headers(logged_out)
        (flash,) = [c for c in cookies if c.startswith("__Host-agora_flash=")]
        assert "Secure" in flash and "Domain" not in flash  # "Logged out", for the next page
        expired = [c for c in cookies if c != flash]
        assert all("Secure" in c and "Max-Age=0" in c for c in expired)
        assert {c.split("=")[0] for c in expired} == {
            "__Host-agora_session",
            "__Host-agora_csrf",
        }


async def test_sign_up_then_post_without_reloading(client: AsyncClient) -> None:
    """What scripts and the test helpers do: the cookie after log-in is a usable token."""
    assert (await sign_up(client, "erin")).status_code == 303
    token = str(client.cookies[CSRF_COOKIE])
    response = await client.post("/posts", data={"text": "Hi", "_csrf_token": token})
    assert response.status_code == 303
