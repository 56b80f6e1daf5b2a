"""Direct messages in Chromium: a reply sent in place with htmx (the message appended, the
box emptied and still focused) or, without JavaScript, by the plain form and its 303; the
pages fit a 320 px screen; and screenshots of them at 360x640 and 1280x800, light and dark,
in /tmp/shots-dm/ for a person to look at."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Literal

from playwright.async_api import Browser, Page, expect

from domain import accounts, posts
from domain.accounts import User
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up

SHOTS = Path("/tmp/shots-dm")


async def a_conversation_with_bea(page: Page) -> tuple[int, User]:
    """Axel signs up in the browser and Bea (signed up apart) writes to him: the
    conversation's id, and Bea."""
    await sign_up(page, "axel", "Axel")
    axel = await accounts.find_user("axel")
    assert axel is not None
    bea = await accounts.sign_up("bea", "Bea Lindqvist", PASSWORD)
    first = await posts.start(bea, "axel", "Hi Axel! Are you coming to the meetup on Friday?")
    conversation: int = first.conversation
    await posts.reply(axel, conversation, "Probably, what time does it start?")
    await posts.reply(bea, conversation, "Seven. See https://example.org/meetup")
    return conversation, bea


async def test_a_reply_is_sent_in_place_or_by_the_plain_form(
    page: Page, javascript: bool, live_server: str
) -> None:
    conversation, _ = await a_conversation_with_bea(page)
    await page.goto("/messages")
    await expect(
        page.get_by_role("link", name=re.compile(r"^Messages\s*, 1 unread$"))
    ).to_be_visible()
    await page.get_by_role("link", name="New message from Bea Lindqvist").click()
    await expect(page).to_have_url(f"{live_server}/messages/{conversation}")
    await expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    box = page.get_by_label("Message", exact=True)
    await box.fill("Great, see you there")
    await page.get_by_role("button", name="Send").click()
    sent = page.locator("#message-list > li").last
    await expect(sent).to_contain_text("Great, see you there")
    await expect(page.locator("#message-list > li")).to_have_count(4)
    if javascript:
        # In place: no new page, an empty box that still has the focus, and an announcement.
        await expect(page).to_have_url(f"{live_server}/messages/{conversation}")
        await expect(page.get_by_label("Message", exact=True)).to_be_focused()
        await expect(page.get_by_label("Message", exact=True)).to_have_value("")
        await expect(page.locator("#announcer")).to_have_text("Message sent.")
        # A blank message is refused beside the box, in place.
        await page.get_by_role("button", name="Send").click()
        await expect(page.get_by_text("Write a message before sending it.")).to_be_visible()
        await expect(page.locator("#message-list > li")).to_have_count(4)
    else:
        anchor = await sent.get_attribute("id")
        await expect(page).to_have_url(f"{live_server}/messages/{conversation}#{anchor}")


async def test_earlier_messages_load_in_place_or_as_a_page(
    page: Page, javascript: bool, live_server: str
) -> None:
    conversation, bea = await a_conversation_with_bea(page)
    for n in range(posts.MESSAGES_PER_PAGE):
        await posts.reply(bea, conversation, f"Note {n}")
    await page.goto(f"/messages/{conversation}")
    messages = page.locator("#message-list > li.message")
    await expect(messages).to_have_count(posts.MESSAGES_PER_PAGE)
    await page.get_by_role("link", name="Earlier messages").click()
    if javascript:
        # In place, above the others; the first of them takes the focus.
        await expect(messages).to_have_count(posts.MESSAGES_PER_PAGE + 3)
        await expect(messages.first).to_contain_text("Are you coming to the meetup")
        await expect(messages.first).to_be_focused()
        await expect(page.get_by_role("link", name="Earlier messages")).to_have_count(0)
    else:
        await expect(messages).to_have_count(3)
        await expect(page.get_by_role("link", name="Latest messages")).to_be_visible()


async def test_a_reply_on_a_messages_own_page_goes_to_its_conversation(
    page: Page, javascript: bool, live_server: str
) -> None:
    conversation, bea = await a_conversation_with_bea(page)
    first = (await posts.messages(bea.id, conversation)).items[0]
    await page.goto(f"/@bea/{first.id}")
    await page.get_by_label("Reply in the conversation").fill("Replying from the post itself")
    await page.get_by_role("button", name="Reply").click()
    await expect(page).to_have_url(re.compile(rf"/messages/{conversation}#message-\d+$"))
    await expect(page.locator("#message-list > li").last).to_contain_text(
        "Replying from the post itself"
    )


async def test_the_pages_fit_a_narrow_screen_and_are_photographed(
    browser: Browser, live_server: str
) -> None:
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    page = await open_page(browser, live_server)
    conversation, bea = await a_conversation_with_bea(page)
    for n in range(posts.MESSAGES_PER_PAGE):
        await posts.reply(bea, conversation, f"Note {n}: the room is on the second floor")
    shown = await posts.messages(bea.id, conversation)
    pages = {
        "list": "/messages",
        "conversation": f"/messages/{conversation}",
        "earlier": f"/messages/{conversation}?before={shown.earlier_before}",
        "direct-post": f"/@bea/{shown.items[-1].id}",
        "new": "/messages/new?to=bea",
    }
    # The list while the conversation is still unread, before the loops below open it.
    await page.set_viewport_size({"width": 360, "height": 640})
    await page.goto("/messages")
    await page.screenshot(path=str(SHOTS / "list-unread-360x640-light.png"), full_page=True)
    await page.set_viewport_size({"width": 320, "height": 640})
    for path in [*pages.values(), "/@bea"]:
        await page.goto(path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert (path, width) == (path, 320)
    scheme: Literal["light", "dark"]
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        for width, height in ((360, 640), (1280, 800)):
            await page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                await page.goto(path)
                await page.screenshot(
                    path=str(SHOTS / f"{name}-{width}x{height}-{scheme}.png"), full_page=True
                )
    await page.context.close()
