"""axe-core (bundled by axe-playwright-python) on every page type: no serious or critical issue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.browser.test_accounts_browser import PASSWORD, sign_up

AXE = Axe()
BLOCKING_IMPACTS = {"serious", "critical"}
VISITOR_PAGES = ["/", "/signup", "/login", "/no/such/page"]
MEMBER_PAGES = ["/", "/settings"]


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    results = AXE.run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"][:3]]}
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
def axe_page(browser: Browser, live_server: str) -> Iterator[Page]:
    # Playwright injects axe-core as a script; the app's CSP rightly forbids that for pages.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", VISITOR_PAGES)
def test_visitor_pages_have_no_serious_violations(axe_page: Page, path: str) -> None:
    axe_page.goto(path)
    assert blocking_violations(axe_page) == []


def test_member_pages_have_no_serious_violations(axe_page: Page) -> None:
    sign_up(axe_page, "axel", "Axel")
    for path in MEMBER_PAGES:
        axe_page.goto(path)
        assert (path, blocking_violations(axe_page)) == (path, [])


def test_form_errors_have_no_serious_violations(axe_page: Page) -> None:
    axe_page.goto("/signup")
    axe_page.get_by_label("Password").fill("short")
    axe_page.get_by_role("button", name="Sign up").click()
    assert axe_page.get_by_text("Password must be at least 8 characters.").is_visible()
    assert blocking_violations(axe_page) == []
    assert PASSWORD not in axe_page.content()
