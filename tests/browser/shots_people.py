"""Not a test: screenshots of the people pages for review (kept out of git)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser

from domain import accounts, posts, social
from domain.accounts import User
from tasks.notification_jobs import notify
from tests.browser.conftest import open_page
from tests.browser.test_accounts_browser import PASSWORD, sign_up
from tests.helpers import NO_CONTEXT

OUT = Path("/tmp/shots-people")
DESIGN_CSS = Path("/tmp/design-site.css").read_text()
DESIGN_SPRITE = Path("/tmp/design-sprite.svg").read_text()


def picture() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (300, 200), (40, 120, 160))
    for x in range(300):
        for y in range(80, 120):
            image.putpixel((x, y), (240, 200, 60))
    image.save(out, "PNG")
    return out.getvalue()


async def test_shots(browser: Browser, live_server: str) -> None:
    page = await open_page(browser, live_server)
    await sign_up(page, "bea", "Bea Nakamura")
    bea = await accounts.find_user("bea")
    assert bea is not None
    await accounts.save_profile(
        bea,
        "Bea Nakamura",
        "Gardener, reader, occasional baker.\nLives by the sea.",
        fields=[
            accounts.ProfileField("Pronouns", "she/her"),
            accounts.ProfileField("Website", "https://example.org/bea"),
            accounts.ProfileField("Location", "Lisbon"),
        ],
    )
    people = []
    for username, name, bio in [
        ("ada", "Ada Lovelace", "Writing notes on the analytical engine. " * 6),
        ("party", "🎉 Party Bot", "Posts a party emoji every hour."),
        ("alis", "עליס כהן", "שלום world, hello עולם"),
        ("omar", "Omar Haddad", ""),
        ("zoe", "zoë ⟨the⟩ quiet", "<b>not bold</b> " + "z" * 400),
        ("lin", "李 小龙", "Kung fu and philosophy."),
    ]:
        person = await accounts.sign_up(username, name, PASSWORD)
        await User.update({User.bio: bio}).where(User.id == person.id)
        people.append(person)
    await accounts.save_profile(people[3], "Omar Haddad", "Photographer.", picture())
    post = await posts.publish(bea, "First tomatoes of the year! #garden")
    for person in people[:5]:
        await social.follow(person, bea.id)
        await notify(NO_CONTEXT, kind="follow", actor_id=person.id, user_id=bea.id)
    await social.follow(bea, people[0].id)
    await social.follow(bea, people[3].id)
    await posts.favourite(people[0], post.id)
    await notify(NO_CONTEXT, kind="like", actor_id=people[0].id, post_id=post.id)
    comment = await posts.publish(people[2], "Beautiful!", in_reply_to=posts.ReplyTarget(post.id))
    await notify(NO_CONTEXT, kind="comment", comment_id=comment.id)
    mention = await posts.publish(people[3], "@bea look at this sunset")
    await notify(NO_CONTEXT, kind="mention", post_id=mention.id)
    spam = await accounts.sign_up("spammer", "Spam King", PASSWORD)
    await social.block(bea, spam.id)
    await social.block(bea, people[5].id)
    await page.context.route(
        "**/static/css/site.css*",
        lambda route: route.fulfill(status=200, content_type="text/css", body=DESIGN_CSS),
    )
    await page.context.route(
        "**/static/icons/sprite.svg*",
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=DESIGN_SPRITE),
    )
    pages = {
        "profile": "/@bea",
        "other-profile": "/@ada",
        "followers": "/@bea/followers",
        "search": "/search?q=a",
        "notifications": "/notifications",
        "blocks": "/settings/blocks",
        "edit": "/settings/profile",
    }
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        for width, height in ((360, 640), (1280, 800)):
            await page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                await page.goto(path)
                await page.screenshot(
                    path=str(OUT / f"{name}-{width}-{scheme}.png"), full_page=True
                )
            await page.goto("/@ada")
            await page.locator("details.menu > summary").click()
            await page.screenshot(path=str(OUT / f"menu-{width}-{scheme}.png"))
    await page.context.close()
