"""The console stays clean in Chromium: no page error (an uncaught exception stops the page's
scripts, e.g. the minute timer refreshing times) on the main pages, no Content Security Policy
violation while htmx swaps a comment, a reply under a comment and a message in place, and the
composer's image preview really loads under the CSP."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import sign_up
from tests.browser.test_messages_browser import a_conversation_with_bea

MAIN_PAGES = (
    "/",
    "/explore",
    "/notifications",
    "/messages",
    "/bookmarks",
    "/compose",
    "/settings",
    "/settings/profile",
    "/@axel",
)


def watch(page: Page) -> list[str]:
    """Collect page errors and CSP reports from now on; the returned list fills as they come."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    return problems


async def test_no_page_errors_on_the_main_pages_nor_sending_a_message(
    browser: Browser, live_server: str
) -> None:
    page = await open_page(browser, live_server)
    problems = watch(page)
    conversation, _ = await a_conversation_with_bea(page)
    for path in (*MAIN_PAGES, f"/messages/{conversation}"):
        await page.goto(path)
        # The minute timer's work, run now: it throws on a <time> it cannot handle.
        await page.evaluate("document.dispatchEvent(new Event('DOMContentLoaded'))")
    # A message sent in place (htmx appends it and swaps the form) breaks no CSP either.
    await page.get_by_label("Message", exact=True).fill("On my way")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#message-list > li").last).to_contain_text("On my way")
    await page.context.close()
    assert problems == []


async def test_htmx_swaps_break_no_content_security_policy(
    browser: Browser, live_server: str
) -> None:
    page = await open_page(browser, live_server)
    problems = watch(page)
    await sign_up(page, "swapper", "Swap Per")
    await page.goto("/compose")
    await page.get_by_label("New post").fill("Talk to me")
    await page.get_by_role("button", name="Post", exact=True).click()
    await page.get_by_role("article").first.locator(".post-time").click()
    await page.get_by_label("Reply", exact=True).fill("First comment")
    await page.get_by_role("button", name="Reply", exact=True).click()
    await expect(page.get_by_text("First comment")).to_be_visible()
    await page.get_by_role("link", name="Reply to @swapper").click()
    await page.get_by_label("Reply to @swapper").fill("An answer")
    await page.get_by_role("button", name="Reply", exact=True).click()
    await expect(page.get_by_role("list", name="Replies to @swapper")).to_contain_text("An answer")
    # The probe: a style attribute set by script is reported, so a silent run above means none.
    await page.evaluate("document.body.setAttribute('style', 'color: red')")
    await page.wait_for_timeout(200)
    await page.context.close()
    assert len(problems) == 1
    assert "Content Security Policy" in problems[0]


async def test_the_image_preview_loads_under_the_csp(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    picture = tmp_path / "dot.png"
    Image.new("RGB", (40, 30), "teal").save(picture)
    page = await open_page(browser, live_server)
    problems = watch(page)
    await sign_up(page, "previewer", "Pre Viewer")
    await page.goto("/compose")
    await page.get_by_label("Image (optional)").set_input_files(picture)
    preview = page.locator(".compose-preview img")
    await expect(preview).to_be_visible()
    # Read as a data: URL, the picture loads a moment later (naturalWidth 0 while it has not).
    await expect(preview).to_have_js_property("naturalWidth", 40)
    await page.context.close()
    assert problems == []
