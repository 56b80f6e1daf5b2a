"""The design system in a real browser: menus without and with JavaScript, the phone's tab
bar, and the forced theme winning over the device's."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import sign_up


async def test_the_account_menu_opens_without_javascript_and_closes_with_it(
    page: Page, javascript: bool
) -> None:
    await sign_up(page, "menu", "Menu Tester")
    menu = page.get_by_role("navigation", name="Main").locator("details.menu")
    log_out = page.get_by_role("button", name="Log out", exact=True)
    await menu.locator("summary").click()
    await expect(log_out).to_be_visible()
    if javascript:
        await log_out.focus()
        await page.keyboard.press("Escape")
        await expect(log_out).to_be_hidden()
        await expect(menu.locator("summary")).to_be_focused()
        await menu.locator("summary").click()
        await page.get_by_role("heading", level=1).click()  # anywhere else
        await expect(log_out).to_be_hidden()
        await menu.locator("summary").click()
    await log_out.click()
    await expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")
    ).to_be_visible()


async def test_a_phone_gets_a_top_bar_and_a_tab_bar_with_named_icons(page: Page) -> None:
    await page.set_viewport_size({"width": 360, "height": 640})
    await sign_up(page, "phone", "Phone")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Explore", "Notifications", "Profile", "Compose"):
        link = nav.get_by_role("link", name=name, exact=True)
        await expect(link).to_be_visible()
        box = await link.bounding_box()
        assert box and box["y"] + box["height"] <= 640 and box["y"] > 500, name
    await expect(nav.get_by_role("link", name="Settings")).to_be_hidden()
    await expect(page.get_by_role("banner").get_by_role("link", name="Settings")).to_be_visible()
    header = await page.get_by_role("banner").bounding_box()
    assert header and header["height"] <= 56


async def test_a_forced_theme_wins_over_the_device(browser: Browser, live_server: str) -> None:
    page = await open_page(browser, live_server)
    await page.emulate_media(color_scheme="dark")
    await sign_up(page, "sunny", "Sunny")
    background = "getComputedStyle(document.documentElement).backgroundColor"
    device_dark = await page.evaluate(background)
    await page.goto("/settings")
    await page.get_by_label("Light").check()
    await page.get_by_role("button", name="Save theme").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert await page.evaluate(background) != device_dark
    assert await page.evaluate(background) == "rgb(243, 244, 248)"
    await page.context.close()
