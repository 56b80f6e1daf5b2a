"""axe-core (bundled by axe-playwright-python) on every page type: no serious or critical issue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from domain import accounts, posts, social
from domain.accounts import User
from tasks.notification_jobs import notify
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up
from tests.helpers import NO_CONTEXT

AXE = Axe()
BLOCKING_IMPACTS = {"serious", "critical"}
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VISITOR_PAGES = [
    "/",
    "/explore",
    "/search?q=nothing",
    "/signup",
    "/login",
    "/no/such/page",
    "/@nobody",
]
MEMBER_PAGES = [
    "/",
    "/explore",
    "/@axel",
    "/@axel/1",
    "/@axel/followers",
    "/@axel/following",
    "/tags/hello",
    "/bookmarks",
    "/settings",
    "/settings/profile",
    "/compose",
    "/posts/1/delete",
    "/comments/2/delete",
    "/admin/users",
    "/notifications",
]


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


async def fill_with_content() -> None:
    """A post with a tag, a link and a mention, a comment with a reply, a like and a bookmark,
    and two notifications."""
    axel = await accounts.find_user("axel")
    assert axel is not None
    post = await posts.publish(axel, "Hello #hello from https://example.org, @axel")
    top = await posts.publish(axel, "A comment", in_reply_to=posts.ReplyTarget(post.id))
    await posts.publish(axel, "A reply", in_reply_to=posts.ReplyTarget(post.id, top.id))
    await posts.favourite(axel, post.id)
    await posts.bookmark(axel, post.id)
    # Someone else follows and likes, so the notifications page has unread items to check.
    bea = await accounts.sign_up("bea", "Bea", PASSWORD)
    await social.follow(bea, axel.id)
    await posts.favourite(bea, post.id)
    await notify(NO_CONTEXT, kind="follow", actor_id=bea.id, user_id=axel.id)
    await notify(NO_CONTEXT, kind="like", actor_id=bea.id, post_id=post.id)
    await accounts.sign_up("member", "A Member", "a long enough passphrase")
    await User.update({User.role: "admin"}).where(User.id == axel.id)  # to see moderation


async def test_member_pages_have_no_serious_violations(axe_page: Page) -> None:
    await sign_up(axe_page, "axel", "Axel")
    await fill_with_content()
    for path in MEMBER_PAGES:
        response = await axe_page.goto(path)
        assert response is not None and response.status == 200, path
        assert (path, await blocking_violations(axe_page)) == (path, [])
        assert await axe_page.get_by_role("heading", level=1).count() == 1, path


async def test_pages_fit_a_narrow_screen_without_sideways_scrolling(axe_page: Page) -> None:
    await sign_up(axe_page, "axel", "Axel")
    await fill_with_content()
    await axe_page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/", "/@axel", "/@axel/1", "/settings", "/login"]:
        await axe_page.goto(path)
        width = await axe_page.evaluate("document.documentElement.scrollWidth")
        assert (path, width) == (path, 360)


async def test_form_errors_have_no_serious_violations(axe_page: Page) -> None:
    await axe_page.goto("/signup")
    await axe_page.get_by_label("Password").fill("short")
    await axe_page.get_by_role("button", name="Sign up").click()
    assert await axe_page.get_by_text("Password must be at least 8 characters.").is_visible()
    assert await blocking_violations(axe_page) == []
    assert PASSWORD not in await axe_page.content()
