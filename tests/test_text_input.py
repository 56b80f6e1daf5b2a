"""No text reaches the database unchecked (issue 11, item 5): every bad value against every text
input a person or client can send (forms, query strings, JSON, multipart, OAuth parameters, alt
text) is refused with a 4xx and a message, never a 500 and never stored."""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from httpx import AsyncClient, Response
from litestar import Litestar
from PIL import Image

from domain import oauth
from domain.posts import Comment, Post
from tests.api.helpers import Caller, caller, make_user
from tests.conftest import http_client
from tests.helpers import csrf_token, sign_up

# Control characters other than tab, line feed and carriage return, and bytes that are not
# UTF-8 (a stray continuation byte, an overlong NUL, an encoded lone surrogate).
CONTROL = ["\x00", "\x01", "\x07", "\x0b", "\x1b", "\x1f"]
NOT_UTF8 = [b"\xff", b"\xc0\x80", b"\xed\xa0\x80"]
BAD: list[bytes] = [f"a{c}b".encode() for c in CONTROL] + [b"a" + raw + b"b" for raw in NOT_UTF8]
REASONS = ("control character", "not valid UTF-8", "lone surrogate")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@dataclass
class World:
    member: AsyncClient  # logged in through the pages, with a CSRF cookie
    visitor: AsyncClient
    api: Caller  # a bearer token
    post_id: int
    media_id: str
    client_id: str


Send = Callable[[World, bytes], Awaitable[Response]]


def encoded(fields: dict[str, bytes | str]) -> bytes:
    return "&".join(
        f"{name}={quote_from_bytes(value if isinstance(value, bytes) else value.encode())}"
        for name, value in fields.items()
    ).encode()


def form(url: str, field: str, who: str = "member", **others: str) -> Send:
    async def send(world: World, bad: bytes) -> Response:
        client: AsyncClient = getattr(world, who)
        body = encoded({field: bad, **others, "_csrf_token": await csrf_token(client)})
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return await client.post(url.format(w=world), content=body, headers=headers)

    return send


def multipart(
    url: str, field: str, with_file: str = "", method: str = "POST", **others: str
) -> Send:
    async def send(world: World, bad: bytes) -> Response:
        # The bad value goes as raw bytes in a part without a file name: a text field.
        parts: dict[str, Any] = {field: (None, bad)}
        if with_file:
            parts[with_file] = ("a.png", png(), "image/png")
        if url.startswith("/api/"):
            return await world.api.client.request(
                method, url.format(w=world), data=others, files=parts, headers=world.api.headers
            )
        data = {**others, "_csrf_token": await csrf_token(world.member)}
        return await world.member.post(url.format(w=world), data=data, files=parts)

    return send


def query(url: str, field: str, who: str = "member") -> Send:
    async def send(world: World, bad: bytes) -> Response:
        target = f"{url.format(w=world)}?{field}={quote_from_bytes(bad)}"
        if who == "api":
            return await world.api.get(target)
        client: AsyncClient = getattr(world, who)
        return await client.get(target)

    return send


def api_json(url: str, field: str, method: str = "POST", **others: str) -> Send:
    async def send(world: World, bad: bytes) -> Response:
        try:
            text = bad.decode()
            body = json.dumps({field: text, **others}).encode()
        except UnicodeDecodeError:  # JSON cannot escape these: send the raw bytes
            body = json.dumps({field: "__BAD__", **others}).encode().replace(b"__BAD__", bad)
        headers = {**world.api.headers, "content-type": "application/json"}
        return await world.api.client.request(
            method, url.format(w=world), content=body, headers=headers
        )

    return send


def api_form(url: str, field: str, method: str = "POST", **others: str) -> Send:
    async def send(world: World, bad: bytes) -> Response:
        headers = {**world.api.headers, "content-type": "application/x-www-form-urlencoded"}
        body = encoded({field: bad, **others})
        return await world.api.client.request(
            method, url.format(w=world), content=body, headers=headers
        )

    return send


def oauth_form(url: str, field: str, **others: str) -> Send:
    async def send(world: World, bad: bytes) -> Response:
        fields: dict[str, bytes | str] = {"client_id": world.client_id, **others, field: bad}
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return await world.visitor.post(url, content=encoded(fields), headers=headers)

    return send


INPUTS: dict[str, Send] = {
    "compose text (multipart)": multipart("/posts", "text"),
    "compose alt text (multipart)": multipart("/posts", "image_alt", with_file="image", text="Hi"),
    "comment text": form("/posts/{w.post_id}/comments", "text"),
    "profile display name (multipart)": multipart("/settings/profile", "display_name", bio="b"),
    "profile bio (multipart)": multipart("/settings/profile", "bio", display_name="D"),
    "sign-up username": form(
        "/signup", "username", "visitor", display_name="X", password="long enough pass"
    ),
    "sign-up display name": form(
        "/signup", "display_name", "visitor", username="newbie", password="long enough pass"
    ),
    "sign-up password": form("/signup", "password", "visitor", username="newbie", display_name="X"),
    "log-in username": form("/login", "username", "visitor", password="long enough pass"),
    "log-in password": form("/login", "password", "visitor", username="writer"),
    "search box": query("/search", "q"),
    "search box, visitor": query("/search", "q", "visitor"),
    "moderation search": query("/admin/users", "q"),
    "feed cursor": query("/explore", "cursor"),
    "API status (form)": api_form("/api/v1/statuses", "status"),
    "API status (JSON)": api_json("/api/v1/statuses", "status"),
    "API status spoiler (JSON)": api_json("/api/v1/statuses", "spoiler_text", status="hi"),
    "API media description (JSON)": api_json("/api/v1/media/{w.media_id}", "description", "PUT"),
    "API media description (multipart)": multipart(
        "/api/v2/media", "description", with_file="file"
    ),
    "API display name (form)": api_form(
        "/api/v1/accounts/update_credentials", "display_name", "PATCH"
    ),
    "API note (JSON)": api_json("/api/v1/accounts/update_credentials", "note", "PATCH"),
    "API search": query("/api/v2/search", "q", "api"),
    "API account lookup": query("/api/v1/accounts/lookup", "acct", "api"),
    "API notification types": query("/api/v1/notifications", "types[]", "api"),
    "API app name (JSON)": api_json(
        "/api/v1/apps", "client_name", redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    ),
    "API app website (form)": api_form(
        "/api/v1/apps", "website", client_name="App", redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    ),
    "OAuth token username": oauth_form(
        "/oauth/token", "username", grant_type="password", password="x"
    ),
    "OAuth token scope": oauth_form("/oauth/token", "scope", grant_type="client_credentials"),
    "OAuth authorize state": query("/oauth/authorize", "state", "visitor"),
}


@pytest.fixture
async def world(app: Litestar, client: AsyncClient) -> World:
    member = http_client(app)
    assert (await sign_up(member, "writer")).status_code == 303
    visitor = http_client(app)
    await visitor.get("/login")
    api = await caller(client, "apicaller")
    await make_user("other")
    post = await api.status("A post to answer")
    upload = await api.post("/api/v2/media", files={"file": ("a.png", png(), "image/png")})
    assert upload.status_code in (200, 202), upload.text
    registered = await oauth.register_app("Text test", [oauth.OOB_REDIRECT_URI], "read", None)
    return World(
        member, visitor, api, int(post["id"]), upload.json()["id"], registered.app.client_id
    )


@pytest.mark.parametrize("name", list(INPUTS))
async def test_every_bad_value_is_refused_with_a_message(world: World, name: str) -> None:
    posts_before, comments_before = await Post.count(), await Comment.count()
    for bad in BAD:
        response = await INPUTS[name](world, bad)
        assert 400 <= response.status_code < 500, (
            name,
            bad,
            response.status_code,
            response.text[:300],
        )
        text = response.text
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            text = json.dumps(body)
            assert "error" in body, (name, bad, body)
        assert any(reason in text for reason in REASONS), (name, bad, text[:400])
    assert (await Post.count(), await Comment.count()) == (posts_before, comments_before)


async def test_tab_line_feed_and_carriage_return_are_text(world: World) -> None:
    response = await multipart("/posts", "text")(world, b"one\ttwo\r\nthree")
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("value", CONTROL)
def test_the_domain_refuses_control_characters_in_what_it_stores(value: str) -> None:
    # Callers that bypass the web edge (jobs, the command line) meet the same rule.
    from domain import accounts, media, posts

    assert "control character" in (posts.text_problem(f"a{value}b") or "")
    assert "control character" in (media.alt_problem(f"a{value}b") or "")
    assert "control character" in (accounts.display_name_problem(f"a{value}b") or "")
    assert posts.text_problem("one\ttwo\nthree") is None
