"""No sideways scrolling at 320 px, whatever people write (issue 11, item 7): every page type,
filled with long unbroken words and URLs in every field a person can write, fits the width."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, ViewportSize

from domain import accounts, posts, social
from domain.accounts import User
from tasks.notification_jobs import notify
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up
from tests.helpers import NO_CONTEXT

NARROW: ViewportSize = {"width": 320, "height": 640}
WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4  # 180 letters, no break
URL = "https://example.org/" + "path" * 40 + "?query=" + "x" * 40
TAG = "t" * 60
USERNAME = "w" * 30  # the longest username, unbroken
DISPLAY_NAME = "D" * 50  # the longest display name, unbroken


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 400), "teal").save(out, "PNG")
    return out.getvalue()


async def fill_with_long_words() -> dict[str, int]:
    """A post, an image post, a comment and a reply, a follower with a long name who liked,
    commented and mentioned; every text as long and unbroken as the rules allow."""
    author = await accounts.find_user(USERNAME)
    assert author is not None
    await accounts.save_profile(author, DISPLAY_NAME, f"{WORD} {URL[:110]}")
    post = await posts.publish(author, f"{WORD} {URL} #{TAG}")
    pictured = await posts.publish(
        author, WORD, image=posts.AttachedImage(png(), f"{WORD} {WORD[:100]}")
    )
    comment = await posts.publish(author, WORD, in_reply_to=posts.ReplyTarget(post.id))
    await posts.publish(author, URL, in_reply_to=posts.ReplyTarget(post.id, comment.id))
    await posts.bookmark(author, post.id)
    other = await accounts.sign_up("v" * 30, "E" * 50, PASSWORD)
    await accounts.save_profile(other, "E" * 50, WORD)
    await social.follow(other, author.id)
    await social.follow(author, other.id)
    await posts.favourite(other, post.id)
    reply = await posts.publish(other, WORD, in_reply_to=posts.ReplyTarget(post.id))
    mention = await posts.publish(other, f"@{USERNAME} {WORD}")
    await notify(NO_CONTEXT, kind="follow", actor_id=other.id, user_id=author.id)
    await notify(NO_CONTEXT, kind="like", actor_id=other.id, post_id=post.id)
    await notify(NO_CONTEXT, kind="comment", comment_id=reply.id)
    await notify(NO_CONTEXT, kind="mention", post_id=mention.id)
    blocked = await accounts.sign_up("b" * 30, "B" * 50, PASSWORD)
    await social.block(author, blocked.id)
    # Longer than the form allows (older rows, or set by hand): the blocked accounts page's
    # card cuts it, the profile wraps it.
    await User.update({User.bio: f"<b>{'x' * 2000}</b> {WORD}"}).where(User.id == blocked.id)
    await User.update({User.role: "admin"}).where(User.id == author.id)  # to see moderation
    return {"post": post.id, "pictured": pictured.id, "comment": comment.id}


@pytest.fixture
async def narrow_page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    page = await open_page(browser, live_server)
    await page.set_viewport_size(NARROW)
    yield page
    await page.context.close()


async def overflow(page: Page) -> list[str]:
    """The elements sticking out past the right edge, when the page scrolls sideways."""
    return list(
        await page.evaluate(
            """() => {
              const root = document.documentElement;
              if (root.scrollWidth <= root.clientWidth) return [];
              return [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                .slice(0, 5)
                .map(e => e.tagName + '.' + e.className + ' ' + Math.round(
                  e.getBoundingClientRect().right));
            }"""
        )
    )


async def test_every_page_fits_320_pixels_with_the_longest_words(narrow_page: Page) -> None:
    await sign_up(narrow_page, USERNAME, "Long")
    ids = await fill_with_long_words()
    member_pages = [
        "/",
        "/explore",
        f"/tags/{TAG}",
        "/bookmarks",
        f"/@{USERNAME}",
        f"/@{USERNAME}/{ids['post']}",
        f"/@{USERNAME}/{ids['pictured']}",
        f"/@{USERNAME}/followers",
        f"/@{USERNAME}/following",
        f"/@{'v' * 30}",
        f"/@{'v' * 30}/block",
        f"/@{'b' * 30}",
        "/notifications",
        f"/search?q={WORD[:40]}",
        f"/search?q={'v' * 10}",
        "/settings",
        "/settings/profile",
        "/settings/blocks",
        "/admin/users",
        f"/posts/{ids['post']}/delete",
        f"/comments/{ids['comment']}/delete",
        f"/{'x' * 200}",
    ]
    for path in member_pages:
        await narrow_page.goto(path)
        assert (path, await overflow(narrow_page)) == (path, [])
    await narrow_page.context.clear_cookies()
    for path in ["/", "/explore", "/login", "/signup", f"/@{USERNAME}"]:
        await narrow_page.goto(path)
        assert (path, await overflow(narrow_page)) == (path, [])
