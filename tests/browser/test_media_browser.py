"""Posting an image through the compose form in a real browser, JavaScript on and off: the
file input, the required description, and the image shown (and really served) in the feed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from playwright.async_api import Page, expect

from tests.browser.test_accounts_browser import sign_up


async def test_post_an_image_with_a_description(
    page: Page, javascript: bool, tmp_path: Path
) -> None:
    picture = tmp_path / "sunset.png"
    Image.new("RGB", (320, 200), "orange").save(picture)
    await sign_up(page, "painter", "Pat Painter")

    # Without a description the post is refused, the message sits by the field, text is kept.
    await page.get_by_label("New post").fill("My sunset")
    await page.get_by_label("Image (optional)").set_input_files(picture)
    await page.get_by_role("button", name="Post", exact=True).click()
    description = page.get_by_label("Image description")
    await expect(description).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#error-image_alt")).to_have_text(
        "Describe the image for people who cannot see it."
    )
    await expect(page.get_by_label("New post")).to_have_value("My sunset")

    await page.get_by_label("Image (optional)").set_input_files(picture)
    await description.fill("An orange sky over the sea")
    await page.get_by_role("button", name="Post", exact=True).click()

    post = page.get_by_role("article").filter(has_text="My sunset")
    image = post.get_by_role("img", name="An orange sky over the sea")
    await expect(image).to_be_visible()
    await expect(image).to_have_attribute("width", "320")
    await expect(image).to_have_attribute("height", "200")
    await expect(image).to_have_attribute("loading", "lazy")
    source = await image.get_attribute("src")
    assert source is not None and source.startswith("/media/")
    served = await page.request.get(source)
    assert served.ok and served.headers["content-type"] == "image/png"
    if javascript:
        # The browser decoded it under the site's CSP (img-src 'self').
        await expect(image).to_have_js_property("naturalWidth", 320)
