"""axe-core (bundled by axe-playwright-python) on every page type, in the light and in the dark
colour scheme (Playwright's `color_scheme` emulation): no violation of any impact. And a
keyboard-only journey, in both schemes, where every stop shows where the focus is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Locator, Page, expect

from domain import accounts, posts, social
from domain.accounts import User
from tasks.notification_jobs import notify
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up
from tests.helpers import NO_CONTEXT

ColorScheme = Literal["light", "dark"]
SCHEMES: list[ColorScheme] = ["light", "dark"]
AXE = Axe()
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VISITOR_PAGES = [
    "/",
    "/explore",
    "/search?q=nothing",
    "/signup",
    "/login",
    "/no/such/page",
    "/@nobody",
]
MEMBER_PAGES = [
    "/",
    "/explore",
    "/search?q=hello",
    "/@axel",
    "/@axel/1",
    "/@axel/followers",
    "/@axel/following",
    "/tags/hello",
    "/bookmarks",
    "/settings",
    "/settings/profile",
    "/settings/blocks",
    "/search?q=bea",
    "/@bea",
    "/@bea/block",
    "/follow_requests",
    "/compose",
    "/posts/1/delete",
    "/comments/2/delete",
    "/admin/users",
    "/notifications",
    "/messages",
    "/messages/1",
    "/messages/new?to=bea",
]
# How many Tab presses may separate two stops of the keyboard journey.
MAX_TABS = 40


async def violations(page: Page) -> list[dict[str, Any]]:
    """axe's WCAG 2.2 AA violations on the page as it is now, whatever their impact."""
    results = await AXE.run(page, options={"runOnly": WCAG_AA_TAGS})
    found: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"][:3]]}
        for v in found
    ]


@pytest.fixture
def color_scheme() -> ColorScheme:
    """The scheme pages are shown in; tests parametrize it over SCHEMES."""
    return "light"


@pytest.fixture
async def axe_page(
    browser: Browser, live_server: str, color_scheme: ColorScheme
) -> AsyncIterator[Page]:
    # Playwright injects axe-core as a script; the app's CSP rightly forbids that for pages.
    page = await open_page(browser, live_server, bypass_csp=True)
    await page.emulate_media(color_scheme=color_scheme)
    yield page
    await page.context.close()


@pytest.mark.parametrize("color_scheme", SCHEMES)
@pytest.mark.parametrize("path", VISITOR_PAGES)
async def test_visitor_pages_have_no_violations(axe_page: Page, path: str) -> None:
    await axe_page.goto(path)
    assert await violations(axe_page) == []


async def fill_with_content() -> None:
    """A post with a tag, a link and a mention, a comment with a reply, a like and a bookmark,
    two notifications, a follower, a blocked account and a conversation."""
    axel = await accounts.find_user("axel")
    assert axel is not None
    post = await posts.publish(axel, "Hello #hello from https://example.org, @axel")
    top = await posts.publish(axel, "A comment", in_reply_to=posts.ReplyTarget(post.id))
    await posts.publish(axel, "A reply", in_reply_to=posts.ReplyTarget(post.id, top.id))
    await posts.favourite(axel, post.id)
    await posts.bookmark(axel, post.id)
    # Someone else follows and likes, so the notifications page has unread items to check.
    bea = await accounts.sign_up("bea", "Bea", PASSWORD)
    await social.follow(bea, axel.id)
    await posts.favourite(bea, post.id)
    await notify(NO_CONTEXT, kind="follow", actor_id=bea.id, user_id=axel.id)
    await notify(NO_CONTEXT, kind="like", actor_id=bea.id, post_id=post.id)
    # A conversation (the first, so /messages/1) with a message each way, one unread.
    first = await posts.start(bea, "axel", "Hi Axel, a direct message")
    assert first.conversation is not None
    await posts.reply(axel, first.conversation, "Hello Bea")
    await posts.reply(bea, first.conversation, "Unread by Axel")
    member = await accounts.sign_up("member", "A Member", "a long enough passphrase")
    await social.block(axel, member.id)  # for the blocked accounts page
    await User.update({User.role: "admin"}).where(User.id == axel.id)  # to see moderation


@pytest.mark.parametrize("color_scheme", SCHEMES)
async def test_member_pages_have_no_violations(axe_page: Page, color_scheme: ColorScheme) -> None:
    await sign_up(axe_page, "axel", "Axel")
    await fill_with_content()
    dark = await axe_page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    assert dark == (color_scheme == "dark")
    for path in MEMBER_PAGES:
        response = await axe_page.goto(path)
        assert response is not None and response.status == 200, path
        assert (path, await violations(axe_page)) == (path, [])
        assert await axe_page.get_by_role("heading", level=1).count() == 1, path


async def test_pages_fit_a_narrow_screen_without_sideways_scrolling(axe_page: Page) -> None:
    await sign_up(axe_page, "axel", "Axel")
    await fill_with_content()
    await axe_page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/", "/@axel", "/@axel/1", "/settings", "/login"]:
        await axe_page.goto(path)
        width = await axe_page.evaluate("document.documentElement.scrollWidth")
        assert (path, width) == (path, 360)


@pytest.mark.parametrize("color_scheme", SCHEMES)
async def test_form_errors_have_no_violations(axe_page: Page) -> None:
    await axe_page.goto("/signup")
    await axe_page.get_by_label("Password").fill("short")
    await axe_page.get_by_role("button", name="Sign up").click()
    assert await axe_page.get_by_text("Password must be at least 8 characters.").is_visible()
    assert await violations(axe_page) == []
    assert PASSWORD not in await axe_page.content()


# What marks the focused element: an outline of at least 2px, or a box shadow.
FOCUS_MARK = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return outlined || style.boxShadow !== "none";
}"""


async def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, checking that every element the focus
    passes on the way visibly shows it."""
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        assert await page.evaluate(FOCUS_MARK), f"no visible focus on {focused}"
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab did not reach {target}")


@pytest.mark.parametrize("color_scheme", SCHEMES)
async def test_the_keyboard_alone_logs_in_posts_and_likes_with_the_focus_always_visible(
    axe_page: Page,
) -> None:
    await accounts.sign_up("typist", "Typist", PASSWORD)
    page = axe_page
    await page.goto("/login")
    await tab_to(page, page.get_by_role("link", name="Skip to content"))
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await tab_to(page, page.get_by_label("Username"))
    await page.keyboard.type("typist")
    await tab_to(page, page.get_by_label("Password"))
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Home")

    await tab_to(page, page.get_by_label("New post"))
    await page.keyboard.type("Typed without a mouse")
    await tab_to(page, page.get_by_role("button", name="Post", exact=True))
    await page.keyboard.press("Enter")
    post = page.get_by_role("article").filter(has_text="Typed without a mouse")
    await expect(post).to_be_visible()

    await tab_to(page, post.get_by_role("button", name="Like", exact=True))
    await page.keyboard.press("Enter")
    liked = page.get_by_role("article").filter(has_text="Typed without a mouse")
    await expect(liked.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert await violations(page) == []
