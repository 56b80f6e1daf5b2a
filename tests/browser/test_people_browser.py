"""People in a real browser: the profile's More menu (Block, Unblock) with and without
JavaScript, and placeholder avatars that change colours with the theme."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from domain import accounts
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up
from tests.test_people import hue_colours
from web.avatars import avatar_hue


async def test_the_more_menu_blocks_and_unblocks(
    page: Page, javascript: bool, live_server: str
) -> None:
    await accounts.sign_up("alice", "Alice Adams", PASSWORD)
    await sign_up(page, "bob", "Bob")
    await page.goto("/@alice")
    more = page.locator('details.menu[id^="profile-menu-"] > summary')  # not the nav's menu
    block = page.get_by_role("link", name="Block @alice")
    await expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    await expect(block).to_be_hidden()  # quiet until asked for
    await more.click()
    await block.click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Block Alice Adams (@alice)?")
    await page.get_by_role("button", name="Block @alice").click()
    await expect(page).to_have_url(f"{live_server}/@alice")
    await expect(page.get_by_text("You have blocked @alice.")).to_be_visible()
    await expect(page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)

    unblock = page.get_by_role("button", name="Unblock @alice")
    await expect(unblock).to_be_hidden()
    await more.click()
    await unblock.click()
    await expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    await expect(page.get_by_text("You have blocked @alice.")).to_have_count(0)
    if javascript:  # swapped in place, and said aloud
        await expect(page.locator("#announcer")).to_have_text("Unblocked Alice Adams.")
    await expect(page).to_have_url(f"{live_server}/@alice")


async def test_a_card_follows_and_unfollows(page: Page, javascript: bool, live_server: str) -> None:
    await accounts.sign_up("alice", "Alice Adams", PASSWORD)
    await sign_up(page, "bob", "Bob")
    await page.goto("/search?q=alice")
    card = page.get_by_role("listitem").filter(has_text="@alice")
    await card.get_by_role("button", name="Follow @alice", exact=True).click()
    await expect(card.get_by_role("button", name="Unfollow @alice")).to_be_visible()
    await expect(page).to_have_url(f"{live_server}/search?q=alice")  # still on the results
    if javascript:
        await expect(page.locator("#announcer")).to_have_text("Following Alice Adams.")
    await card.get_by_role("button", name="Unfollow @alice").click()
    await expect(card.get_by_role("button", name="Follow @alice", exact=True)).to_be_visible()
    await expect(page).to_have_url(f"{live_server}/search?q=alice")


def rgb(colour: str) -> str:
    """A `#rrggbb` as getComputedStyle reports it."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_placeholders_take_the_colours_of_the_theme(
    browser: Browser, live_server: str, scheme: str
) -> None:
    await accounts.sign_up("alice", "Alice Adams", PASSWORD)
    pair = hue_colours()[avatar_hue("alice")]
    page = await open_page(browser, live_server)
    try:
        await page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        await page.goto("/@alice")
        placeholder = page.locator(".profile-header .avatar--placeholder")
        await expect(placeholder).to_have_text("AA")

        async def colours() -> tuple[str, str]:
            shown = await placeholder.evaluate(
                "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
            )
            return shown[0], shown[1]

        assert await colours() == (rgb(pair[f"{scheme}-bg"]), rgb(pair[f"{scheme}-fg"]))
        for forced in ("light", "dark"):  # the page's own choice beats the system's
            await page.evaluate(f"document.documentElement.dataset.theme = '{forced}'")
            assert await colours() == (rgb(pair[f"{forced}-bg"]), rgb(pair[f"{forced}-fg"]))
    finally:
        await page.context.close()
