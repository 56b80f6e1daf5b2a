"""Sign up, log out and log in in a real browser, with JavaScript on and off."""

from __future__ import annotations

from playwright.async_api import Page, expect

PASSWORD = "a long enough passphrase"


async def sign_up(page: Page, username: str, display_name: str) -> None:
    await page.goto("/signup")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Display name").fill(display_name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()


async def log_out(page: Page) -> None:
    """Log out from the account menu at the foot of the main nav."""
    await page.get_by_role("navigation", name="Main").locator("summary").click()
    await page.get_by_role("button", name="Log out", exact=True).click()


async def test_sign_up_log_out_and_log_in(page: Page, javascript: bool, live_server: str) -> None:
    await sign_up(page, "walker", "Jo Walker")
    await expect(page).to_have_url(f"{live_server}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    await expect(page.get_by_text("Logged in as Jo Walker")).to_be_visible()

    await log_out(page)
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    await expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    await nav.get_by_role("link", name="Log in").click()
    await page.get_by_label("Username").fill("WALKER")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(nav.get_by_text("@walker")).to_be_visible()
    if javascript:
        # htmx loaded under the strict CSP, so the enhanced paths are really being exercised.
        assert await page.evaluate("typeof window.htmx") == "object"


async def test_wrong_password_shows_error_next_to_the_field(page: Page) -> None:
    await sign_up(page, "quinn", "Quinn")
    await log_out(page)
    await page.goto("/login")
    await page.get_by_label("Username").fill("quinn")
    await page.get_by_label("Password").fill("not the right one")
    await page.get_by_role("button", name="Log in").click()
    password = page.get_by_label("Password")
    await expect(password).to_have_attribute("aria-invalid", "true")
    await expect(password).to_have_accessible_description("Wrong username or password.")
    await expect(page.get_by_label("Username")).to_have_value("quinn")
    await expect(password).to_have_value("")
