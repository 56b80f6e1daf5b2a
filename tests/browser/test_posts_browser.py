"""The post card and the composer in Chromium: the live character count agrees with the
server's, the composer's JavaScript-off parity and its compact form on a phone, the image
dialog, the Share button, Reply moving focus, and a failed post a reload does not send again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from domain.posts import MAX_POST_LENGTH, Post, text_length
from tests.browser.conftest import open_page
from tests.browser.test_accessibility import violations
from tests.browser.test_accounts_browser import sign_up

LONG_URL = "https://example.com/" + "a-long-path/" * 30 + "?q=1&r=(2)"
TRICKY = [
    "👍🏽 thumbs up with a skin tone",
    "👩‍👩‍👧‍👦 a family joined by ZWJ, 🏳️‍🌈 a flag",
    "e\u0301 combining acute, a\u0308\u0301 two marks, Z\u0351\u0352\u0353 three",
    "漢字かな交じり文と한국어",
    LONG_URL,
    f"see {LONG_URL}, and (https://example.org/wiki/A_(b)) then https://x.test/end.",
    "look:https://a.example/x?y=1 'https://b.example/q' «https://c.example»",
    "  padded with spaces and a line\r\nbreak  ",
    "y" * MAX_POST_LENGTH,
    "y" * (MAX_POST_LENGTH + 1),
    "🇫🇷" * 250 + "x" * 251,
]


@pytest.fixture
async def js_page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    page = await open_page(browser, live_server)
    yield page
    await page.context.close()


async def shown_count(page: Page) -> int:
    """The count the composer shows, as characters used (it says how many are left)."""
    said = await page.locator("#field-text-count").text_content() or ""
    number = int(re.match(r"\d+", said).group(0))  # type: ignore[union-attr]
    return MAX_POST_LENGTH + number if "too many" in said else MAX_POST_LENGTH - number


async def test_the_live_count_agrees_with_the_server(js_page: Page) -> None:
    await sign_up(js_page, "counter", "Cy Counter")
    await js_page.goto("/compose")
    box = js_page.get_by_label("New post")
    for text in TRICKY:
        await box.fill(text)
        assert (text[:40], await shown_count(js_page)) == (text[:40], text_length(text))
    # Over the limit the count is an error, said in words and not only in colour.
    await box.fill("y" * (MAX_POST_LENGTH + 1))
    counter = js_page.locator("#field-text-count")
    await expect(counter).to_have_text("1 character too many")
    await expect(counter).to_have_class(re.compile("char-count--over"))
    await expect(js_page.locator("#announcer")).to_have_text("1 character too many")
    await box.fill("y" * (MAX_POST_LENGTH - 5))
    await expect(js_page.locator("#announcer")).to_have_text("5 characters left")
    described = await box.get_attribute("aria-describedby") or ""
    assert "field-text-count" in described.split()


async def test_a_failed_post_reloads_without_posting_again(page: Page, javascript: bool) -> None:
    await sign_up(page, "reloader", "Ray Loader")
    await page.goto("/compose")
    await page.get_by_label("New post").fill("z" * (MAX_POST_LENGTH + 1))
    await page.get_by_role("button", name="Post", exact=True).click()
    await expect(page.locator("#error-text")).to_contain_text("at most 500 characters")
    assert re.search(r"/compose\?failed=[\w-]+$", page.url)
    answer = await page.reload()
    assert answer is not None and answer.request.method == "GET" and answer.status == 422
    await expect(page.get_by_label("New post")).to_have_value("z" * (MAX_POST_LENGTH + 1))
    assert await Post.count() == 0


async def test_the_composer_without_javascript_shows_every_field(
    page: Page, javascript: bool
) -> None:
    await sign_up(page, "parity", "Pa Rity")
    for label in ("New post", "Image (optional)", "Image description"):
        field = page.get_by_label(label, exact=True)
        if javascript and label != "New post":
            # Compact until used: the other fields appear on focus (the description only
            # once an image is chosen).
            await expect(field).to_be_hidden()
        else:
            await expect(field).to_be_visible()
    if javascript:
        await page.get_by_label("New post").focus()
        await expect(page.locator(".image-picker label")).to_be_visible()
        await expect(page.get_by_label("Image description")).to_be_hidden()


async def test_a_phone_sees_the_first_post_without_scrolling(
    browser: Browser, live_server: str, javascript: bool
) -> None:
    phone = await browser.new_context(
        base_url=live_server,
        java_script_enabled=javascript,
        viewport={"width": 360, "height": 640},
        is_mobile=True,
    )
    page = await phone.new_page()
    await sign_up(page, "phoner", "Phil Oner")
    for number in range(3):
        await page.goto("/compose")
        await page.get_by_label("New post").fill(f"Post number {number} from a phone")
        await page.get_by_role("button", name="Post", exact=True).click()
        await expect(page.locator("#flash")).to_have_text("Posted")
    await page.goto("/")
    first = page.get_by_role("article").first
    box = await first.bounding_box()
    assert box is not None and box["y"] + 80 <= 640, box  # its author line and first words
    new_post = page.get_by_role("link", name="New post")
    if javascript:
        await expect(page.get_by_label("New post")).to_be_visible()
        await expect(new_post).to_be_hidden()
    else:
        await new_post.click()
        await expect(page).to_have_url(re.compile("/compose$"))
        await expect(page.get_by_label("New post")).to_be_focused()
    assert await page.evaluate("document.documentElement.scrollWidth") == 360
    await phone.close()


async def test_an_image_opens_full_size_in_a_dialog(js_page: Page, tmp_path: Path) -> None:
    await sign_up(js_page, "viewer", "Vi Ewer")
    await js_page.goto("/compose")
    picture = tmp_path / "tall.png"
    Image.new("RGB", (300, 600), "teal").save(picture)
    await js_page.get_by_label("Image (optional)").set_input_files(picture)
    # The picker previews the picture and asks for its description.
    await expect(js_page.locator(".compose-preview img")).to_be_visible()
    await expect(js_page.get_by_label("Image description")).to_be_focused()
    await js_page.get_by_label("New post").fill("A tall picture")
    await js_page.get_by_label("Image description").fill("A teal column")
    await js_page.get_by_role("button", name="Post", exact=True).click()

    link = js_page.get_by_role("link", name="Full size: A teal column")
    shown = link.get_by_role("img")
    # 300x600, drawn at most 512 px tall in its own shape.
    await expect(shown).to_have_attribute("width", "256")
    box = await shown.bounding_box()
    assert box is not None and abs(box["height"] / box["width"] - 2) < 0.02  # not cropped
    await link.focus()
    await js_page.keyboard.press("Enter")
    dialog = js_page.get_by_role("dialog", name="Image: A teal column")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    await expect(dialog.get_by_role("img", name="A teal column")).to_have_js_property(
        "naturalWidth", 300
    )
    await js_page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(link).to_be_focused()


async def test_share_copies_the_link_and_says_so(
    browser: Browser, live_server: str, javascript: bool
) -> None:
    context = await browser.new_context(base_url=live_server, java_script_enabled=javascript)
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await sign_up(page, "sharer", "Sha Rer")
    await page.goto("/compose")
    await page.get_by_label("New post").fill("Worth sharing")
    await page.get_by_role("button", name="Post", exact=True).click()
    post = page.get_by_role("article").filter(has_text="Worth sharing")
    permalink = await post.locator(".post-time").get_attribute("href")
    if javascript:
        share = post.get_by_role("button", name="Share")
        before = page.url
        await share.click()
        await expect(page.locator("#announcer")).to_have_text("Link copied")
        assert await page.evaluate("navigator.clipboard.readText()") == live_server + str(permalink)
        await expect(page).to_have_url(before)  # no navigation
    else:
        await post.get_by_role("link", name="Share", exact=True).click()
        await expect(page).to_have_url(f"{live_server}{permalink}")
    await context.close()


async def test_reply_under_a_comment_focuses_the_reply_box(page: Page, javascript: bool) -> None:
    await sign_up(page, "replier", "Re Plier")
    await page.goto("/compose")
    await page.get_by_label("New post").fill("Talk to me")
    await page.get_by_role("button", name="Post", exact=True).click()
    await page.get_by_role("article").first.locator(".post-time").click()
    await page.get_by_label("Reply", exact=True).fill("First comment")
    await page.get_by_role("button", name="Reply", exact=True).click()
    await expect(page.get_by_text("First comment")).to_be_visible()
    await page.get_by_role("link", name="Reply to @replier").click()
    box = page.get_by_label("Reply to @replier")
    await expect(box).to_be_focused()
    await box.fill("An answer")
    await page.get_by_role("button", name="Reply", exact=True).click()
    await expect(page.get_by_role("list", name="Replies to @replier")).to_contain_text("An answer")


async def test_times_are_refreshed_and_shown_in_the_readers_zone_and_language(
    browser: Browser, live_server: str
) -> None:
    context = await browser.new_context(
        base_url=live_server, locale="de-DE", timezone_id="Asia/Kolkata"
    )
    page = await context.new_page()
    await page.clock.install()
    await sign_up(page, "zoner", "Zo Ner")
    await page.goto("/compose")
    await page.get_by_label("New post").fill("What time is it?")
    await page.get_by_role("button", name="Post", exact=True).click()
    time = page.get_by_role("article").first.locator("time")
    server_full = await page.evaluate(
        "(t) => new Date(t).toISOString()", await time.get_attribute("datetime")
    )
    await expect(time.locator(".time-short")).to_have_text("now")
    # German words, and the hour in India (UTC+5:30), not the server's UTC.
    title = await time.get_attribute("title") or ""
    assert "UTC" not in title  # the server's words, replaced
    expected = await page.evaluate(
        """(iso) => new Intl.DateTimeFormat("de-DE", {dateStyle: "long", timeStyle: "short",
        timeZone: "Asia/Kolkata"}).format(new Date(iso))""",
        server_full,
    )
    assert title == expected
    await expect(time.locator(".time-full")).to_have_text(expected)
    # A minute later the page says so without a reload.
    await page.clock.run_for(3 * 60 * 1000 + 1000)
    await expect(time.locator(".time-short")).to_have_text("3m")
    await context.close()


async def test_failed_forms_and_the_image_dialog_have_no_serious_violations(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    page = await open_page(browser, live_server, bypass_csp=True)
    await page.goto("/login")
    await page.get_by_label("Username").fill("nobody")
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    assert await violations(page) == []
    await sign_up(page, "axed", "Ax Ed")
    await page.goto("/compose")
    picture = tmp_path / "wide.png"
    Image.new("RGB", (600, 300), "navy").save(picture)
    await page.get_by_label("Image (optional)").set_input_files(picture)
    await page.get_by_role("button", name="Post", exact=True).click()
    await expect(page.locator("#error-text")).to_be_visible()
    assert await violations(page) == []
    await page.get_by_label("New post").fill("Navy")
    await page.get_by_label("Image (optional)").set_input_files(picture)
    await page.get_by_label("Image description").fill("A navy rectangle")
    await page.get_by_role("button", name="Post", exact=True).click()
    await page.get_by_role("link", name="Full size: A navy rectangle").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    assert await violations(page) == []
    await page.context.close()
