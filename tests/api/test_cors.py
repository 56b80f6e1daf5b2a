"""Browser-based Mastodon clients on other origins may call the API and load its pictures;
the pages stay same-origin."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from httpx import AsyncClient
from PIL import Image

from tests.api.helpers import caller

ELSEWHERE = "https://client.example"


async def test_a_preflight_for_the_api_is_answered_for_any_origin(client: AsyncClient) -> None:
    response = await client.options(
        "/api/v1/timelines/home",
        headers={
            "Origin": ELSEWHERE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "Authorization" in response.headers["access-control-allow-headers"]
    # Bearer tokens, never cookies: a foreign page must not ride on a logged-in session.
    assert "access-control-allow-credentials" not in response.headers


async def test_api_answers_let_a_foreign_page_read_them_and_their_paging(
    client: AsyncClient,
) -> None:
    alice = await caller(client, "alice")
    for number in range(3):
        await alice.status(f"post {number}")
    response = await alice.get(
        "/api/v1/timelines/home", params={"limit": 2}, headers={"Origin": ELSEWHERE}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Link" in response.headers["access-control-expose-headers"]
    assert 'rel="next"' in response.headers["link"]


async def test_the_token_endpoint_is_reachable_but_pages_stay_same_origin(
    client: AsyncClient,
) -> None:
    token = await client.post(
        "/oauth/token", data={"grant_type": "password"}, headers={"Origin": ELSEWHERE}
    )
    assert token.status_code >= 400  # no client: refused, but readable by the caller's page
    assert token.headers["access-control-allow-origin"] == "*"
    for page in ("/", "/login", "/oauth/authorize"):
        response = await client.get(page, headers={"Origin": ELSEWHERE})
        assert "access-control-allow-origin" not in response.headers, page


async def test_pictures_are_readable_from_any_origin(client: AsyncClient) -> None:
    """Web clients load avatars, headers and media with CORS (to cache them or draw them on a
    canvas); they are public files, so any origin may read them."""
    alice = await caller(client, "alice")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(image, "PNG")
    uploaded = await alice.post(
        "/api/v2/media", files={"file": ("teal.png", image.getvalue(), "image/png")}
    )
    assert uploaded.status_code == 200, uploaded.text
    account = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    for url in (account["avatar"], account["header"], uploaded.json()["url"]):
        path = urlsplit(url).path
        assert path.startswith(("/avatars/", "/headers/", "/media/")), url
        response = await client.get(path, headers={"Origin": ELSEWHERE})
        assert response.status_code == 200, url
        assert response.headers["access-control-allow-origin"] == "*", url
        assert "access-control-allow-credentials" not in response.headers
