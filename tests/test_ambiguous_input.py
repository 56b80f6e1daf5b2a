"""What one parser would read one way and the next another is refused with a 4xx and a
message, never taken silently and never a 500: a parameter given twice (the first value won
in some handlers, the last in others, so `visibility=public&visibility=direct` published a
post more widely than a client that meant the last would think), a JSON key given twice, and
JSON nested deeper than any Mastodon entity (which made the parsers' recursion give out)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from httpx import AsyncClient, Response
from litestar import Litestar

from domain.accounts import User
from domain.core.settings import get_settings
from domain.posts import Comment, Post
from tests.api.helpers import Caller, caller
from tests.conftest import http_client
from tests.helpers import csrf_token, sign_up
from web.media_files import max_request_bytes
from web.text_guard import MAX_JSON_DEPTH

TWICE = "was given more than once"
TOO_DEEP = "nests arrays and objects more than"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


def said(response: Response, words: str) -> bool:
    if response.headers.get("content-type", "").startswith("application/json"):
        return words in response.json()["error"]
    return words in response.text


async def nothing_written() -> tuple[int, int, int]:
    return await Post.count(), await Comment.count(), await User.count()


@pytest.fixture
async def api(app: Litestar, client: AsyncClient) -> Caller:
    return await caller(client, "apicaller")


@pytest.fixture
async def member(app: Litestar) -> AsyncClient:
    browser = http_client(app)
    assert (await sign_up(browser, "writer")).status_code == 303
    return browser


async def test_a_parameter_given_twice_is_refused_in_every_kind_of_request(
    app: Litestar, api: Caller, member: AsyncClient, client: AsyncClient
) -> None:
    post = await api.status("to answer")
    token = await csrf_token(member)
    before = await nothing_written()
    sent: Mapping[str, Response] = {
        "API form": await api.post(
            "/api/v1/statuses",
            content=b"status=x&visibility=direct&visibility=public",
            headers=FORM,
        ),
        "API query and body": await api.post(
            "/api/v1/statuses?visibility=public", data={"status": "x", "visibility": "direct"}
        ),
        "API multipart": await api.post(
            "/api/v1/statuses",
            files=[("status", (None, b"x")), ("status", (None, b"y"))],
        ),
        "API query": await api.get("/api/v1/timelines/public?limit=5&limit=40"),
        "webfinger": await client.get(
            "/.well-known/webfinger?resource=acct:apicaller@agora.test"
            "&resource=acct:writer@agora.test"
        ),
        "OAuth token": await client.post(
            "/oauth/token",
            content=b"grant_type=client_credentials&grant_type=password",
            headers=FORM,
        ),
        "compose (multipart)": await member.post(
            "/posts",
            data={"_csrf_token": token},
            files=[
                ("text", (None, b"hello")),
                ("visibility", (None, b"direct")),
                ("visibility", (None, b"public")),
            ],
        ),
        "comment (form)": await member.post(
            f"/posts/{post['id']}/comments",
            content=f"text=hi&parent_id=1&parent_id=2&_csrf_token={token}".encode(),
            headers=FORM,
        ),
        "sign-up (form)": await http_client(app).post(
            "/signup",
            content=b"username=frank&username=frank2&display_name=F&password=long+enough+pass",
            headers=FORM,
        ),
        "search (query)": await member.get("/search?q=a&q=b"),
        "page cursor (query)": await member.get("/explore?cursor=a&cursor=b"),
    }
    for name, response in sent.items():
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        assert said(response, TWICE), (name, response.text[:300])
    assert await nothing_written() == before


async def test_the_api_refuses_every_other_spelling_of_a_value_given_twice(
    api: Caller,
) -> None:
    """A name and its `name[]`, `name[]` twice, a nested field twice, a structured value in
    JSON and in bracketed form, a file under a text field's name: each is a 422 naming it."""
    before = await nothing_written()
    sent: Mapping[str, Response] = {
        "name and name[]": await api.post(
            "/api/v1/statuses", content=b"status=first&status[]=second", headers=FORM
        ),
        "name[] twice": await api.post(
            "/api/v1/statuses",
            content=b"status=x&visibility[]=direct&visibility[]=public",
            headers=FORM,
        ),
        "JSON name and name[]": await api.post(
            "/api/v1/statuses", content=b'{"status": "a", "status[]": "b"}', headers=JSON
        ),
        "nested field twice": await api.patch(
            "/api/v1/accounts/update_credentials",
            content=b"source[privacy]=private&source[privacy]=public",
            headers=FORM,
        ),
        "JSON object and bracketed query": await api.patch(
            "/api/v1/accounts/update_credentials?source%5Bprivacy%5D=unlisted",
            content=b'{"source": {"privacy": "public"}}',
            headers=JSON,
        ),
        "file under a text name": await api.post(
            "/api/v1/statuses",
            files=[("status", (None, b"text")), ("status", ("a.txt", b"file", "text/plain"))],
        ),
    }
    for name, response in sent.items():
        assert response.status_code == 422, (name, response.status_code, response.text)
        assert said(response, TWICE), (name, response.text)
    assert await nothing_written() == before
    me = await api.get("/api/v1/accounts/verify_credentials")
    assert me.json()["source"]["privacy"] == "public"  # the default, untouched


async def test_lists_are_still_sent_as_repeated_names_with_brackets(api: Caller) -> None:
    first, second = await api.status("one"), await api.status("two")
    found = await api.get(f"/api/v1/statuses?id[]={first['id']}&id[]={second['id']}")
    assert found.status_code == 200
    assert {status["id"] for status in found.json()} == {first["id"], second["id"]}
    kinds = await api.get("/api/v1/notifications?types[]=mention&types[]=follow")
    assert kinds.status_code == 200


async def test_a_json_key_given_twice_is_refused(api: Caller) -> None:
    before = await nothing_written()
    body = b'{"status": "x", "visibility": "direct", "visibility": "public"}'
    response = await api.post("/api/v1/statuses", content=body, headers=JSON)
    assert response.status_code == 400 and said(response, TWICE), response.text
    nested = b'{"status": "x", "poll": {"options": ["a", "b"], "options": ["c"]}}'
    response = await api.post("/api/v1/statuses", content=nested, headers=JSON)
    assert response.status_code == 400 and said(response, "options"), response.text
    assert await nothing_written() == before


def nested(depth: int) -> bytes:
    """A JSON object whose `status` value is `depth` - 1 arrays deep (the object is one)."""
    return b'{"status": ' + b"[" * (depth - 1) + b'"x"' + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 5_000, 200_000])
async def test_json_nested_too_deep_is_refused(api: Caller, depth: int) -> None:
    before = await nothing_written()
    objects = b'{"a": ' * depth + b"1" + b"}" * depth
    for url in ("/api/v1/statuses", "/api/v1/apps", "/oauth/token"):
        for body in (nested(depth), objects):
            response = await api.post(url, content=body, headers=JSON)
            assert response.status_code == 400, (url, depth, response.text[:200])
            assert said(response, TOO_DEEP), response.text[:200]
    assert await nothing_written() == before


async def test_json_as_deep_as_allowed_is_read(api: Caller) -> None:
    # Not refused for its depth: the status is then found to be no text.
    response = await api.post("/api/v1/statuses", content=nested(MAX_JSON_DEPTH), headers=JSON)
    assert 400 <= response.status_code < 500
    assert not said(response, TOO_DEEP), response.text
    flat = json.dumps({"status": "plain", "visibility": "unlisted"}).encode()
    assert (await api.post("/api/v1/statuses", content=flat, headers=JSON)).status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
async def test_a_body_over_the_limit_is_refused_before_it_is_parsed(
    client: AsyncClient, content_type: str
) -> None:
    """The edge reads a body the way Litestar does, so the size limit holds before anything
    parses it (a 27 MB JSON body was once parsed, for 9 s, before a 422)."""
    limit = max_request_bytes(get_settings())
    body = (
        b'{"x": "' + b"a" * limit + b'"}' if "json" in content_type else b"a=1&" * (limit // 4 + 1)
    )
    response = await client.post(
        "/api/v1/apps", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 413, response.text[:200]


async def test_a_failed_form_named_twice_shows_neither(app: Litestar, member: AsyncClient) -> None:
    visitor = http_client(app)
    refused = await visitor.post(
        "/login",
        data={"username": "writer", "password": "wrong", "_csrf_token": await csrf_token(visitor)},
    )
    assert refused.status_code == 303
    shown = refused.headers["location"]
    assert (await visitor.get(shown)).status_code == 401  # the failure, as kept
    for twice in (f"{shown}&failed=AAAAAAAAAAAAAAAAAAAAAA", shown.replace("?", "?failed=x&")):
        page = await visitor.get(twice)
        assert page.status_code == 200 and 'value="writer"' not in page.text, twice
