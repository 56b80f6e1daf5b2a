"""Sign up, log out and log in in a real browser, with JavaScript on and off."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "a long enough passphrase"


def sign_up(page: Page, username: str, display_name: str) -> None:
    page.goto("/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def test_sign_up_log_out_and_log_in(page: Page, javascript: bool, live_server: str) -> None:
    sign_up(page, "walker", "Jo Walker")
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jo Walker")

    page.get_by_role("button", name="Log out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    nav.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("WALKER")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_text("@walker")).to_be_visible()
    if javascript:
        # htmx loaded under the strict CSP, so the enhanced paths are really being exercised.
        assert page.evaluate("typeof window.htmx") == "object"


def test_wrong_password_shows_error_next_to_the_field(page: Page) -> None:
    sign_up(page, "quinn", "Quinn")
    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_label("Username").fill("quinn")
    page.get_by_label("Password").fill("not the right one")
    page.get_by_role("button", name="Log in").click()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("quinn")
    expect(password).to_have_value("")
