"""Live pages in Chromium, two people at once: Bob's like changes Alice's unread count and
Bob's post offers Alice "Show 1 new post", without her page reloading."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import sign_up

pytestmark = [pytest.mark.serial, pytest.mark.usefixtures("live_worker")]

# Set by the page's own events: the SSE extension fires htmx:sseOpen once /events is open.
WATCH_STREAM = "document.addEventListener('htmx:sseOpen', () => { window.liveStreamOpen = true; });"


async def wait_for_stream(page: Page) -> None:
    for _ in range(100):
        if await page.evaluate("() => window.liveStreamOpen === true"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the page's live stream did not open")


async def test_a_like_and_a_post_reach_an_open_home_page(
    browser: Browser, live_server: str
) -> None:
    alice = await open_page(browser, live_server)
    bob = await open_page(browser, live_server)
    await alice.context.add_init_script(WATCH_STREAM)
    try:
        await sign_up(bob, "bob", "Bob Brown")
        await sign_up(alice, "alice", "Alice Adams")
        await alice.get_by_label("New post").fill("Alice's first post")
        await alice.get_by_role("button", name="Post", exact=True).click()
        await alice.goto("/@bob")
        await alice.get_by_role("button", name="Follow", exact=True).click()
        await expect(alice.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()

        await alice.goto("/")
        await wait_for_stream(alice)
        await alice.evaluate("() => { window.notReloaded = true; }")
        nav = alice.locator("#nav-notifications")
        await expect(nav).to_have_text("Notifications")

        await bob.goto("/@alice")
        post = bob.get_by_role("article").filter(has_text="Alice's first post")
        await post.get_by_role("button", name="Like", exact=True).click()
        # The words are visually hidden (absolutely placed), so Chromium may space them apart.
        await expect(nav).to_have_accessible_name(re.compile(r"^Notifications\s*, 1 unread$"))
        await expect(alice.locator("#announcer")).to_have_text("Notifications, 1 unread.")

        await bob.goto("/")
        await bob.get_by_label("New post").fill("News from Bob")
        await bob.get_by_role("button", name="Post", exact=True).click()
        show = alice.get_by_role("button", name="Show 1 new post")
        await expect(show).to_be_visible()
        await expect(alice.locator("#announcer")).to_contain_text("1 new post.")
        await show.click()
        arrived = alice.get_by_role("article").filter(has_text="News from Bob")
        await expect(arrived).to_be_focused()
        await expect(show).to_have_count(0)
        await expect(alice.locator("#announcer")).to_have_text("1 new post shown.")
        # The new post sits above Alice's own, and the page never reloaded.
        first = alice.get_by_role("article").first
        await expect(first).to_contain_text("News from Bob")
        assert await alice.evaluate("() => window.notReloaded === true")
    finally:
        await alice.context.close()
        await bob.context.close()
