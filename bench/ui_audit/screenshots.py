"""Screenshots of every page type on a phone and a desktop screen, in the light and the dark
colour scheme (Playwright's `color_scheme` emulation), saved small under docs/screenshots/.

Each is what the screen shows on arrival (not the whole scrolled page), kept as a PNG of at
most 256 colours: flat interface colours survive that unchanged, and the files stay a few
dozen kilobytes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image
from playwright.async_api import Browser, BrowserContext, async_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENS = {"phone": (360, 640), "desktop": (1280, 800)}
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
PALETTE_COLOURS = 256


@dataclass(frozen=True)
class Shot:
    """A page to photograph: its name (the file name's start), path, and whether the
    member's session is sent."""

    page: str
    path: str
    logged_in: bool


def file_name(page: str, screen: str, scheme: str) -> str:
    """`home-phone-dark.png`: the one naming scheme of files and the gallery's links."""
    return f"{page}-{screen}-{scheme}.png"


def shrink(png: bytes) -> bytes:
    """The screenshot as a palette PNG (at most PALETTE_COLOURS colours, not dithered)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(PALETTE_COLOURS, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    output = io.BytesIO()
    palette.save(output, "PNG", optimize=True)
    return output.getvalue()


async def take_screenshots(
    base_url: str, shots: list[Shot], cookies: list[dict[str, str]]
) -> list[Path]:
    """Photograph each shot on each screen in each scheme, replacing the previous set in
    SCREENSHOT_DIR; `cookies` (Playwright's cookie dicts) log the member in. Returns the files."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOT_DIR.iterdir():
        if old.suffix in {".png", ".webp", ".jpg"}:
            old.unlink()
    written = []
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for screen, (width, height) in SCREENS.items():
            for scheme in SCHEMES:
                for logged_in in (True, False):
                    context = await _context(browser, base_url, width, height, scheme)
                    if logged_in:
                        await context.add_cookies(cookies)  # type: ignore[arg-type]
                    page = await context.new_page()
                    for shot in (s for s in shots if s.logged_in == logged_in):
                        response = await page.goto(shot.path, wait_until="load")
                        assert response is not None and response.ok, (shot, response)
                        target = SCREENSHOT_DIR / file_name(shot.page, screen, scheme)
                        target.write_bytes(shrink(await page.screenshot(animations="disabled")))
                        written.append(target)
                    await context.close()
        await browser.close()
    return written


async def _context(
    browser: Browser, base_url: str, width: int, height: int, scheme: Literal["light", "dark"]
) -> BrowserContext:
    return await browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        device_scale_factor=1,
    )
