"""Two people use Agora in a real browser, once with JavaScript on and once with it off:
A posts, B follows A, sees the post at home, likes, bookmarks and replies, and A sees it all."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from domain import accounts, posts
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import sign_up

MARKER = "window.__agoraSamePage"


async def mark_page(page: Page, javascript: bool) -> None:
    """Remember this document, to prove later that no full page load replaced it."""
    if javascript:
        await page.evaluate(f"{MARKER} = true")


async def assert_same_page(page: Page, javascript: bool) -> None:
    if javascript:
        assert await page.evaluate(f"{MARKER} === true"), "a full page load happened"


async def test_two_people_post_follow_like_bookmark_and_reply(
    browser: Browser, live_server: str, javascript: bool
) -> None:
    alice = await open_page(browser, live_server, javascript)
    bob = await open_page(browser, live_server, javascript)
    try:
        await sign_up(alice, "alice", "Alice Adams")
        await alice.get_by_label("New post").fill("Hello from Alice! #hello")
        await alice.get_by_role("button", name="Post", exact=True).click()
        await expect(
            alice.get_by_role("article").filter(has_text="Hello from Alice")
        ).to_be_visible()

        await sign_up(bob, "bob", "Bob Brown")
        await bob.goto("/@alice")
        await expect(bob.get_by_role("heading", level=1)).to_have_text("Alice Adams")
        await mark_page(bob, javascript)
        await bob.get_by_role("button", name="Follow", exact=True).click()
        await expect(bob.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()
        await expect(bob.get_by_role("link", name="1 follower")).to_be_visible()
        await assert_same_page(bob, javascript)

        await bob.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
        post = bob.get_by_role("article").filter(has_text="Hello from Alice")
        await expect(post).to_be_visible()
        await mark_page(bob, javascript)
        await post.get_by_role("button", name="Like", exact=True).click()
        post = bob.get_by_role("article").filter(has_text="Hello from Alice")
        await expect(post.get_by_role("button", name="Like", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(post.get_by_text("1 like", exact=True)).to_be_attached()
        await post.get_by_role("button", name="Bookmark", exact=True).click()
        await expect(post.get_by_role("button", name="Bookmark", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        await assert_same_page(bob, javascript)
        if javascript:
            await expect(bob.locator("#announcer")).to_have_text("Bookmarked. 1 like.")
            # Focus stayed on the button the keyboard user pressed.
            await expect(post.get_by_role("button", name="Bookmark", exact=True)).to_be_focused()

        await post.locator("time").click()
        await expect(bob.get_by_role("heading", level=1)).to_have_text("Post by Alice Adams")
        await mark_page(bob, javascript)
        await bob.get_by_label("Reply", exact=True).fill("Nice post, Alice!")
        await bob.get_by_role("button", name="Reply", exact=True).click()
        comment = bob.locator(".comment").filter(has_text="Nice post, Alice!")
        await expect(comment).to_be_visible()
        await assert_same_page(bob, javascript)

        await bob.goto("/bookmarks")
        await expect(bob.get_by_role("article").filter(has_text="Hello from Alice")).to_be_visible()

        await alice.goto("/")
        mine = alice.get_by_role("article").filter(has_text="Hello from Alice")
        await expect(mine.get_by_text("1 like", exact=True)).to_be_attached()
        await expect(mine.get_by_role("link", name="1 comment")).to_be_visible()
        await mine.get_by_role("link", name="1 comment").click()
        await expect(alice.locator(".comment").filter(has_text="Nice post, Alice!")).to_be_visible()
    finally:
        await alice.context.close()
        await bob.context.close()


async def test_older_posts_load_in_place_or_as_a_page(page: Page, javascript: bool) -> None:
    writer = await accounts.sign_up("prolific", "Prolific", "a long enough passphrase")
    for number in range(25):
        await posts.publish(writer, f"Numbered post {number:02d}")
    await page.goto("/explore")
    articles = page.get_by_role("article")
    await expect(articles).to_have_count(20)
    await mark_page(page, javascript)
    older = page.get_by_role("link", name="Older posts")
    if javascript:
        await older.scroll_into_view_if_needed()
        await expect(articles).to_have_count(25)
        await assert_same_page(page, javascript)
        await expect(page.locator("#announcer")).to_have_text("5 older posts loaded.")
        await expect(articles.nth(20)).to_be_focused()
    else:
        await older.click()
        await expect(articles).to_have_count(5)
        await expect(page).to_have_url(re.compile(r"/explore\?cursor="))
    await expect(page.get_by_text("Numbered post 00")).to_be_visible()
    await expect(page.get_by_role("link", name="Older posts")).to_have_count(0)


async def test_a_visitor_who_presses_like_logs_in_and_comes_back(
    page: Page, javascript: bool
) -> None:
    writer = await accounts.sign_up("author", "Author", "a long enough passphrase")
    await posts.publish(writer, "Please like this")
    await accounts.sign_up("reader", "Reader", "a long enough passphrase")
    await page.goto("/explore")
    await page.get_by_role("button", name="Like", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Fexplore$"))
    await page.get_by_label("Username").fill("reader")
    await page.get_by_label("Password").fill("a long enough passphrase")
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/explore$"))
    await expect(page.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )


async def test_back_and_reload_show_the_current_state(page: Page, javascript: bool) -> None:
    writer = await accounts.sign_up("writer", "Writer", "a long enough passphrase")
    await posts.publish(writer, "Back and forth")
    await sign_up(page, "reader", "Reader")
    await page.goto("/explore")
    await page.get_by_role("button", name="Like", exact=True).click()
    like = page.get_by_role("button", name="Like", exact=True)
    await expect(like).to_have_attribute("aria-pressed", "true")
    await page.get_by_role("link", name="Bookmarks").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bookmarks")
    await page.go_back()
    await expect(page.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.reload()
    await expect(page.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.go_forward()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bookmarks")


async def test_keyboard_alone_skips_to_content_and_works_the_controls(
    page: Page, javascript: bool
) -> None:
    writer = await accounts.sign_up("writer", "Writer", "a long enough passphrase")
    await posts.publish(writer, "Keyboard friendly")
    await sign_up(page, "typist", "Typist")
    await page.goto("/explore")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    like = page.get_by_role("button", name="Like", exact=True)
    await like.focus()
    await page.keyboard.press("Enter")
    like = page.get_by_role("button", name="Like", exact=True)
    await expect(like).to_have_attribute("aria-pressed", "true")
    if javascript:
        await expect(like).to_be_focused()  # htmx kept the keyboard user's place
    await page.get_by_role("button", name="Bookmark", exact=True).focus()
    await page.keyboard.press("Space")
    await expect(page.get_by_role("button", name="Bookmark", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )


async def test_the_author_deletes_a_post_after_confirming(page: Page, javascript: bool) -> None:
    await sign_up(page, "author", "Author")
    await page.get_by_label("New post").fill("Soon gone")
    await page.get_by_role("button", name="Post", exact=True).click()
    post = page.get_by_role("article").filter(has_text="Soon gone")
    # Delete sits in the post's More menu (a details element: no JavaScript needed).
    delete = post.get_by_role("button", name="Delete this post")
    await expect(delete).to_be_hidden()
    await post.locator("details.menu > summary").click()
    await delete.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Delete this post?")
    await page.get_by_role("button", name="Delete", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/@author$"))
    await expect(page.locator("#flash")).to_have_text("Post deleted")
    await expect(page.get_by_text("Soon gone")).to_have_count(0)
