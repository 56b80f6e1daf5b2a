"""The consent page in Chromium, JavaScript on and off: log in, authorize, land back in the app.

This is where the site's CSP (`form-action 'self'`) matters: the way back to the app after
the form must not be a redirect of the form submission, or the browser would block it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, Route, expect

from domain import accounts
from tests.helpers import PASSWORD

CALLBACK = "http://client.test/callback"


async def _app(live_server: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=live_server) as client:
        response = await client.post(
            "/api/v1/apps",
            data={"client_name": "Browser app", "redirect_uris": CALLBACK, "scopes": "read write"},
        )
    assert response.status_code == 200
    body: dict[str, str] = response.json()
    return body


async def _page(
    browser: Browser, live_server: str, javascript: bool, bypass_csp: bool = False
) -> Page:
    context = await browser.new_context(
        base_url=live_server, java_script_enabled=javascript, bypass_csp=bypass_csp
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()

    async def the_app(route: Route) -> None:  # stands in for the client app's own server
        await route.fulfill(status=200, content_type="text/plain", body="the app")

    await page.route("http://client.test/**", the_app)
    return page


async def _log_in_at_consent(page: Page, app: dict[str, str], state: str) -> None:
    query = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "read write",
        "state": state,
    }
    await page.goto(f"/oauth/authorize?{urlencode(query)}")
    await page.get_by_label("Username").fill("walker")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Authorize Browser app?")


async def _exchange(live_server: str, app: dict[str, str], code: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live_server) as client:
        return await client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "code": code,
                "redirect_uri": CALLBACK,
            },
        )


async def _serious_violations(page: Page) -> list[str]:
    results = await Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]})
    return [
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_authorize_in_a_browser_returns_a_code_to_the_app(
    browser: Browser, live_server: str, javascript: bool
) -> None:
    await accounts.sign_up("walker", "Walker", PASSWORD)
    app = await _app(live_server)
    page = await _page(browser, live_server, javascript)
    try:
        await _log_in_at_consent(page, app, "s-1")
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url(f"{CALLBACK}?**")
        query = parse_qs(urlsplit(page.url).query)
        assert query["state"] == ["s-1"]
        token = await _exchange(live_server, app, query["code"][0])
        assert token.status_code == 200 and token.json()["scope"] == "read write"
    finally:
        await page.context.close()


async def test_deny_in_a_browser_tells_the_app(browser: Browser, live_server: str) -> None:
    await accounts.sign_up("walker", "Walker", PASSWORD)
    app = await _app(live_server)
    page = await _page(browser, live_server, javascript=True)
    try:
        await _log_in_at_consent(page, app, "s-2")
        await page.get_by_role("button", name="Deny").click()
        await page.wait_for_url(f"{CALLBACK}?**")
        query = parse_qs(urlsplit(page.url).query)
        assert query["error"] == ["access_denied"] and "code" not in query
    finally:
        await page.context.close()


async def test_consent_and_authorized_apps_pages_are_accessible(
    browser: Browser, live_server: str
) -> None:
    await accounts.sign_up("walker", "Walker", PASSWORD)
    app = await _app(live_server)
    # axe-core is injected as a script, which the CSP rightly forbids: bypass it for the audit.
    page = await _page(browser, live_server, javascript=True, bypass_csp=True)
    try:
        await _log_in_at_consent(page, app, "s-3")
        assert await _serious_violations(page) == []
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url(f"{CALLBACK}?**")
        await _exchange(live_server, app, parse_qs(urlsplit(page.url).query)["code"][0])
        await page.goto("/oauth/authorized_applications")
        await expect(page.get_by_role("heading", level=2)).to_have_text("Browser app")
        assert await _serious_violations(page) == []
        await page.get_by_role("button", name="Revoke Browser app").click()
        await expect(page.get_by_text("No app can use your account")).to_be_visible()
    finally:
        await page.context.close()
