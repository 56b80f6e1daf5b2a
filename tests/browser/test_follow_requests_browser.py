"""Locked accounts in a real browser, with JavaScript on and off: "Approve new followers" on
/settings, the nav's link while requests wait, Accept and Reject on /follow_requests (htmx
swaps the row in place and moves the focus to it; without JavaScript the form comes back to
the list); and the new page and the "Requested" button pass axe and fit 320 px."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from domain import accounts, social
from domain.accounts import User
from domain.social import Follow
from tests.browser.conftest import open_page
from tests.browser.test_accessibility import violations
from tests.browser.test_accounts_browser import PASSWORD, sign_up
from tests.browser.test_narrow_screens import overflow


async def owner() -> User:
    found = await accounts.find_user("alice")
    assert found is not None
    return found


async def lock_on_settings(page: Page) -> None:
    await page.goto("/settings")
    box = page.get_by_label("Approve new followers")
    await expect(box).not_to_be_checked()
    await box.check()
    await page.get_by_role("button", name="Save follower approval").click()
    await expect(page).to_have_url("/settings")
    await expect(page.get_by_label("Approve new followers")).to_be_checked()


async def test_answering_follow_requests(page: Page, javascript: bool) -> None:
    await sign_up(page, "alice", "Alice")
    await lock_on_settings(page)
    alice = await owner()
    for name in ("bob", "carol"):
        await social.follow(await accounts.sign_up(name, name.title(), PASSWORD), alice.id)
    assert await Follow.count() == 0
    await page.goto("/")
    await page.get_by_role("link", name=re.compile(r"^Follow requests\s*, 2 waiting$")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Follow requests")
    await page.get_by_role("button", name="Accept @bob").click()
    if javascript:  # the row says what happened, in place, and holds the focus
        row = page.locator(".follow-request--answered")
        await expect(row).to_have_text("@bob now follows you.")
        await expect(row).to_be_focused()
        await expect(page.locator("#announcer")).to_have_text("@bob now follows you.")
        await expect(
            page.get_by_role("link", name=re.compile(r"^Follow requests\s*, 1 waiting$"))
        ).to_be_visible()
    else:  # the list again, without Bob
        await expect(page.get_by_role("button", name="Accept @bob")).to_have_count(0)
    await page.get_by_role("button", name="Reject @carol").click()
    if javascript:
        await expect(page.get_by_text("You rejected @carol\u2019s request.").first).to_be_visible()
    else:
        await expect(page.get_by_text("Nobody is waiting for your answer.")).to_be_visible()
    assert await Follow.count() == 1
    await page.goto("/")
    await expect(page.get_by_role("link", name="Follow requests", exact=False)).to_have_count(0)


@pytest.fixture
async def axe_page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    page = await open_page(browser, live_server, bypass_csp=True)
    yield page
    await page.context.close()


async def test_the_pages_pass_axe_and_fit_320_pixels(axe_page: Page) -> None:
    await sign_up(axe_page, "alice", "Alice")
    alice = await owner()
    await social.set_locked(alice, True)
    # The longest name and username the rules allow, unbroken.
    asker = await accounts.sign_up("w" * 30, "D" * 50, PASSWORD)
    await social.follow(asker, alice.id)
    await axe_page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/follow_requests", "/settings"):
        await axe_page.goto(path)
        assert (path, await violations(axe_page)) == (path, [])
        assert (path, await overflow(axe_page)) == (path, [])
    await axe_page.goto("/follow_requests")
    await axe_page.get_by_role("button", name=f"Accept @{'w' * 30}").click()
    await expect(axe_page.locator(".follow-request--answered")).to_be_focused()
    assert await violations(axe_page) == []
    # The asker's side: the profile's "Requested" state with its Cancel button.
    await axe_page.context.clear_cookies()
    await sign_up(axe_page, "bob", "Bob")
    bob = await accounts.find_user("bob")
    assert bob is not None
    await social.follow(bob, alice.id)
    await axe_page.goto("/@alice")
    await expect(axe_page.get_by_text("Requested", exact=True)).to_be_visible()
    await expect(axe_page.get_by_role("button", name="Cancel request")).to_be_visible()
    assert await violations(axe_page) == []
    assert await overflow(axe_page) == []
