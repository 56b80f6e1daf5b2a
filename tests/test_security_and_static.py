"""Secure headers, the CSP that htmx must live within, and long-cached versioned static files."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient

from tests.helpers import csrf_token


@pytest.mark.parametrize("path", ["/", "/login", "/no/such/page", "/health/live", "/metrics"])
async def test_every_response_has_secure_headers(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in response.headers  # plain http here


async def test_hsts_is_sent_over_https(client: AsyncClient) -> None:
    response = await client.get("https://agora.test/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_pages_have_no_inline_script_and_configure_htmx_without_eval(
    client: AsyncClient,
) -> None:
    html = (await client.get("/signup")).text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<[^>]*\son[a-z]+=", html) == []  # no inline event handlers
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html
    assert 'hx-headers=\'{"x-csrftoken": "' in html


async def test_layout_has_landmarks_skip_link_and_language(client: AsyncClient) -> None:
    html = (await client.get("/login")).text
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html
    assert html.count("<h1") == 1


async def test_static_files_are_versioned_and_cached_for_a_year(client: AsyncClient) -> None:
    html = (await client.get("/login")).text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', html)
    assert any("site.css" in url for url in urls) and any("htmx.min.js" in url for url in urls)
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200
        cache = response.headers["cache-control"]
        assert "max-age=31536000" in cache and "immutable" in cache


async def test_unknown_page_is_a_friendly_404(client: AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


async def test_wrong_method_is_405_not_500(client: AsyncClient) -> None:
    token = await csrf_token(client)
    response = await client.put("/login", headers={"x-csrftoken": token})
    assert response.status_code == 405
    assert "Method not allowed" in response.text
