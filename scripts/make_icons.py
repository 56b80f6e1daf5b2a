"""Draw Agora's app icons with Pillow: static/icons/favicon.ico (16, 32 and 48 px), the
manifest's icons (icon-192.png, icon-512.png, each usable as maskable) and
apple-touch-icon.png (180 px). The mark is the brand's (the `agora` symbol of
static/icons/sprite.svg, and static/icons/favicon.svg): an amphitheatre around a speaker.

The outputs are committed; run `python scripts/make_icons.py` again after changing the mark.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
ACCENT = "#5535d4"  # the light theme's --color-accent
INK = "#ffffff"  # its --color-accent-text
SUPERSAMPLE = 8  # drawn large, then shrunk: Pillow draws without anti-aliasing


def _mark(size: int, rounded: bool, scale: float) -> Image.Image:
    """The mark on a `size`-pixel square: a rounded square (`rounded`) or a full-bleed one (for
    maskable icons, whose platform cuts its own shape), the lines `scale` times the 32-unit
    drawing's size, centred."""
    big = size * SUPERSAMPLE
    unit = big / 32 * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = round(9 * big / 32) if rounded else 0
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=radius, fill=ACCENT)
    # The drawing's lines span y 14..24.5 around x 16; centre them.
    centre_x, base_y = big / 2, big / 2 + 4.25 * unit
    line = round(3 * unit)
    for arc_radius in (9 * unit, 4.5 * unit):
        # Pillow strokes inside the box: widen it by half the line to centre the stroke.
        outer = arc_radius + line / 2
        draw.arc(
            (centre_x - outer, base_y - outer, centre_x + outer, base_y + outer),
            180,
            360,
            fill=INK,
            width=line,
        )
        _dot(draw, centre_x - arc_radius, base_y, line)
        _dot(draw, centre_x + arc_radius, base_y, line)
    _dot(draw, centre_x, base_y, line)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _dot(draw: ImageDraw.ImageDraw, x: float, y: float, width: int) -> None:
    """A round cap of a line `width` wide, centred on (x, y)."""
    half = width / 2
    draw.ellipse((x - half, y - half, x + half, y + half), fill=INK)


def main() -> None:
    favicon = _mark(48, rounded=True, scale=1.0)
    favicon.save(ICONS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    # Maskable: the mark stays inside the central 80% circle every platform keeps.
    for size in (192, 512):
        _mark(size, rounded=False, scale=0.8).save(ICONS / f"icon-{size}.png", optimize=True)
    _mark(180, rounded=False, scale=0.9).save(ICONS / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
