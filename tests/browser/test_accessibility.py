"""axe-core (bundled by axe-playwright-python) on every page type: no serious or critical issue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up

AXE = Axe()
BLOCKING_IMPACTS = {"serious", "critical"}
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VISITOR_PAGES = ["/", "/signup", "/login", "/no/such/page"]
MEMBER_PAGES = ["/", "/settings"]


async def blocking_violations(page: Page) -> list[dict[str, Any]]:
    results = await AXE.run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}
    )
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"][:3]]}
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
async def axe_page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    # Playwright injects axe-core as a script; the app's CSP rightly forbids that for pages.
    page = await open_page(browser, live_server, bypass_csp=True)
    yield page
    await page.context.close()


@pytest.mark.parametrize("path", VISITOR_PAGES)
async def test_visitor_pages_have_no_serious_violations(axe_page: Page, path: str) -> None:
    await axe_page.goto(path)
    assert await blocking_violations(axe_page) == []


async def test_member_pages_have_no_serious_violations(axe_page: Page) -> None:
    await sign_up(axe_page, "axel", "Axel")
    for path in MEMBER_PAGES:
        await axe_page.goto(path)
        assert (path, await blocking_violations(axe_page)) == (path, [])


async def test_form_errors_have_no_serious_violations(axe_page: Page) -> None:
    await axe_page.goto("/signup")
    await axe_page.get_by_label("Password").fill("short")
    await axe_page.get_by_role("button", name="Sign up").click()
    assert await axe_page.get_by_text("Password must be at least 8 characters.").is_visible()
    assert await blocking_violations(axe_page) == []
    assert PASSWORD not in await axe_page.content()
