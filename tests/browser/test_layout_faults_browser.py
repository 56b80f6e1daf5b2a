"""Layout faults a tester found, kept fixed in Chromium at phone widths: the nav badge's count
on one line, anchors clear of the sticky top bar, the post controls in fixed columns on one
row, the profile tabs and actions fitting 320 px, and the collapsed composer's visible prompt.
Screenshots of the pages concerned, 320 and 1280 px wide, light and dark, go to /tmp/shots-ui/
for a person to look at."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from domain import accounts, notifications, posts, social
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up

SHOTS = Path("/tmp/shots-ui")


async def phone(browser: Browser, live_server: str, width: int = 320) -> Page:
    page = await open_page(browser, live_server)
    await page.set_viewport_size({"width": width, "height": 640})
    return page


async def test_the_badge_keeps_counts_on_one_line(browser: Browser, live_server: str) -> None:
    page = await phone(browser, live_server)
    await sign_up(page, "counter", "Coun Ter")
    link = page.locator("#nav-notifications")
    for count in ("9", "10", "99", "99+"):
        # The badge as the macro writes it, at each width of count.
        await link.evaluate(
            """(link, count) => {
                link.querySelector('.badge')?.remove();
                const badge = document.createElement('span');
                badge.className = 'badge';
                badge.textContent = count;
                link.append(badge);
            }""",
            count,
        )
        # The count's text on one line (the pill's height is fixed, so it hides a wrap) and
        # inside the pill.
        lines, fits = await link.locator(".badge").evaluate(
            """badge => {
                const range = document.createRange();
                range.selectNodeContents(badge);
                const rows = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                return [rows.size, badge.scrollWidth <= badge.clientWidth];
            }"""
        )
        assert lines == 1 and fits, count


async def test_an_anchor_is_not_hidden_under_the_top_bar(
    browser: Browser, live_server: str
) -> None:
    page = await phone(browser, live_server, 360)
    await sign_up(page, "jumper", "Jum Per")
    await page.goto("/settings#appearance-heading")
    bar = await page.locator(".topbar").bounding_box()
    target = await page.locator("#appearance-heading").bounding_box()
    assert bar is not None and target is not None
    assert await page.evaluate("window.scrollY") > 0  # the page did scroll to it
    assert target["y"] >= bar["y"] + bar["height"]


async def test_post_controls_keep_their_columns_on_one_row(
    browser: Browser, live_server: str
) -> None:
    page = await phone(browser, live_server)
    await sign_up(page, "columns", "Col Umns")
    other = await accounts.sign_up("other", "Oth Er", PASSWORD)
    me = await accounts.find_user("columns")
    assert me is not None
    await social.follow(me, other.id)
    await posts.publish(other, "Not mine: no More menu")
    await posts.publish(me, "Mine: a More menu")
    await page.goto("/explore")
    rows = page.locator(".post-controls")
    await expect(rows).to_have_count(2)
    places = []
    for index in range(2):
        boxes = await rows.nth(index).evaluate(
            "row => [...row.children].map(c => { const r = c.getBoundingClientRect();"
            " return [Math.round(r.left), Math.round(r.top), Math.round(r.right)]; })"
        )
        row = await rows.nth(index).bounding_box()
        assert row is not None
        assert len({top for _, top, _ in boxes}) == 1, boxes  # one row, never wrapped
        assert all(right <= row["x"] + row["width"] + 1 for _, _, right in boxes), boxes
        places.append([left for left, _, _ in boxes[:4]])
    assert places[0] == places[1]  # reply, like, bookmark and share line up


@pytest.mark.parametrize("width", [320, 360])
async def test_profile_tabs_and_actions_fit_a_phone(
    browser: Browser, live_server: str, width: int
) -> None:
    page = await phone(browser, live_server, width)
    locked = await accounts.sign_up("locked", "Lockeda Longername", PASSWORD)
    await social.set_locked(locked, True)
    await sign_up(page, "asker", "As Ker")
    await page.goto("/@locked")
    await page.get_by_role("button", name="Follow", exact=True).click()
    await expect(page.locator(".follow-requested")).to_have_text("Requested")
    boxes = await page.locator(".profile-header__actions").evaluate(
        "actions => ['.follow-control button', '.profile-header__actions > p .button',"
        " '.menu > summary']"
        ".map(s => actions.querySelector(s).getBoundingClientRect())"
        ".map(r => ({top: r.top, bottom: r.bottom, left: r.left, right: r.right}))"
    )
    cancel, message, more = boxes
    assert abs(cancel["top"] - message["top"]) < 1 or message["top"] >= cancel["bottom"]
    if abs(cancel["top"] - message["top"]) < 1:
        assert abs(cancel["bottom"] - message["bottom"]) < 1  # aligned, same height
    # More comes last: after Message on its row, or on a row below.
    assert more["left"] > message["right"] or more["top"] >= message["bottom"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    await page.goto("/@locked/followers")
    tabs = page.get_by_role("navigation", name="Lists of @locked")
    for name in ("Posts", "Followers", "Following"):
        tab = await tabs.get_by_role("link", name=name).bounding_box()
        assert tab is not None and tab["x"] >= 0 and tab["x"] + tab["width"] <= width, name
    await page.context.close()


async def test_the_collapsed_composer_shows_its_name_as_a_prompt(
    browser: Browser, live_server: str
) -> None:
    page = await phone(browser, live_server, 1280)
    await sign_up(page, "prompter", "Prom Pter")
    await page.goto("/")
    box = page.get_by_label("New post")
    await expect(page.locator("form.compose--collapsed")).to_be_visible()
    label = await page.locator("form.compose--collapsed label[for]").first.bounding_box()
    field = await box.bounding_box()
    assert label is not None and field is not None
    assert field["x"] <= label["x"] and label["x"] + label["width"] <= field["x"] + field["width"]
    assert field["y"] <= label["y"] and label["y"] + label["height"] <= field["y"] + field["height"]


async def test_screenshots(browser: Browser, live_server: str) -> None:
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    bea = await accounts.sign_up("bea", "Bea Lindqvist", PASSWORD)
    await social.set_locked(bea, True)
    await accounts.save_profile(
        bea, "Bea Lindqvist", "Writing at https://example.org/bea\nand elsewhere"
    )
    for scheme in ("light", "dark"):
        for width in (320, 1280):
            context = await browser.new_context(
                base_url=live_server,
                color_scheme=scheme,
                viewport={"width": width, "height": 800 if width > 400 else 640},
            )
            page = await context.new_page()
            user = f"shot{scheme[0]}{width}"
            await sign_up(page, user, "Shot Taker")
            me = await accounts.find_user(user)
            assert me is not None
            post = await posts.publish(me, "A post with a link https://example.org and #tags")
            await social.follow(bea, me.id)
            await notifications.deliver("follow", actor_id=bea.id, user_id=me.id)
            await notifications.deliver("like", actor_id=bea.id, post_id=post.id)
            conversation = await posts.start(bea, user, "Hi there, how are you?")
            await page.goto("/@bea")
            await page.get_by_role("button", name="Follow", exact=True).click()
            await expect(page.locator(".follow-requested")).to_be_visible()
            shots: dict[str, str] = {
                "home": "/",
                "notifications": "/notifications",
                "profile": "/@bea",
                "messages": "/messages",
                "conversation": f"/messages/{conversation.conversation}",
                "edit": "/settings/profile",
                "follows": "/@bea/followers",
            }
            for name, path in shots.items():
                await page.goto(path)
                await page.screenshot(
                    path=SHOTS / f"{name}-{width}-{scheme}.png", full_page=name != "home"
                )
            await context.close()
