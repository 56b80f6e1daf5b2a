"""Images keep what they are (issue 11, item 8).

Each kind of image a person may upload is made here, with Pillow where Pillow can write it and
with a few lines of struct and zlib where it cannot (16-bit colour PNGs, a 16-bit APNG),
together with the 8-bit RGBA pixels it should show, computed with the right maths: a 16-bit
value divided by 257, CMYK inks multiplied out, a palette entry's own alpha, linear light
encoded with the sRGB curve, the EXIF orientation applied. Every kind goes through the real
path (`media.verify_upload`, decoding in its limited child), as a post image and as an avatar,
and through the thumbnail job; the stored file is read back and compared, and a few kinds go
through the compose form, the profile form and `/api/v2/media` too.

The comparison: both images are laid over a mid-grey backdrop (so that the colour of a fully
transparent pixel does not count), then the mean absolute difference of each of R, G, B and
alpha, on the 0..255 scale, must be within the kind's tolerance: 2 when the stored format is
lossless (PNG, GIF: rounding alone), 4 when it is lossy (JPEG, WebP, at quality 85). The bug
this guards against, a 16-bit grey PNG stored almost white, is off by about 120. Animations
must keep their format, frame count, each frame's duration and their loop count.
"""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from PIL import Image, ImageChops, ImageCms, ImageSequence, ImageStat

from domain import media
from domain.accounts import User
from domain.core.errors import ValidationFailed
from domain.media import isolation
from domain.posts import MediaUpload, Post
from tests.api.helpers import caller
from tests.helpers import csrf_token

SIZE = (48, 32)
LOSSLESS = 2.0
LOSSY = 4.0
Rgba = tuple[int, int, int, int]
Frames = list[Image.Image]

# ---------------------------------------------------------------- pixels, by formula


def pixels() -> Iterator[tuple[int, int]]:
    width, height = SIZE
    for y in range(height):
        for x in range(width):
            yield x, y


def made(mode: str, value: Callable[[int, int], Any]) -> Image.Image:
    image = Image.new(mode, SIZE)
    image.putdata([value(x, y) for x, y in pixels()])
    return image


def ramp16(x: int, y: int) -> int:
    """A smooth ramp over the whole 16-bit range, black top left to white bottom right."""
    width, height = SIZE
    return (x * (height - 1) + y * (width - 1)) * 65535 // (2 * (width - 1) * (height - 1))


def to8(value: int) -> int:
    return round(value / 257)


def colour16(x: int, y: int, frame: int = 0) -> tuple[int, int, int]:
    """Three different 16-bit ramps, shifted by the frame so that no two frames are alike."""
    value = ramp16(x, y)
    return value, 65535 - value, (value // 2 + frame * 12000) % 65536


def colour8(x: int, y: int, frame: int = 0) -> tuple[int, int, int]:
    red, green, blue = colour16(x, y, frame)
    return to8(red), to8(green), to8(blue)


def opaque(frame: int = 0) -> Image.Image:
    return made("RGBA", lambda x, y: (*colour8(x, y, frame), 255))


def shown_grey(
    level16: Callable[[int, int], int], alpha: Callable[[int, int], int] = lambda x, y: 255
) -> Image.Image:
    """What a grey image of 16-bit levels shows, as 8-bit RGBA."""
    return made("RGBA", lambda x, y: (*[to8(level16(x, y))] * 3, alpha(x, y)))


def hole(x: int, y: int) -> bool:
    """The same see-through rectangle in every frame (so that disposal changes nothing)."""
    return 8 <= x < 20 and 6 <= y < 18


def srgb_encoded(linear: int) -> int:
    """The sRGB value showing the light of a linear-light value (both 0..255)."""
    c = linear / 255
    encoded = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
    return round(encoded * 255)


# ---------------------------------------------------------------- files


def saved(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def animation(frames: Frames, fmt: str, durations: list[int], **options: Any) -> bytes:
    return saved(
        frames[0], fmt, save_all=True, append_images=frames[1:], duration=durations, **options
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png16(
    colour_type: int,
    frames: list[Callable[[int, int], tuple[int, ...]]],
    trns: bytes = b"",
    durations: tuple[int, ...] = (),
    loop: int = 0,
) -> bytes:
    """A 16-bit PNG (colour type 0 grey, 2 RGB, 4 grey and alpha, 6 RGBA), which Pillow reads
    but cannot write; with several frames an APNG. `trns` is the body of a tRNS chunk."""
    width, height = SIZE
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    if len(frames) > 1:
        chunks.append(_chunk(b"acTL", struct.pack(">II", len(frames), loop)))
    if trns:
        chunks.append(_chunk(b"tRNS", trns))
    sequence = 0
    for index, value in enumerate(frames):
        rows = b"".join(
            b"\0"
            + b"".join(
                struct.pack(">" + "H" * len(v), *v) for v in map(value, range(width), [y] * width)
            )
            for y in range(height)
        )
        data = zlib.compress(rows)
        if len(frames) > 1:
            control = struct.pack(
                ">IIIIIHHBB", sequence, width, height, 0, 0, durations[index], 1000, 0, 0
            )
            chunks.append(_chunk(b"fcTL", control))
            sequence += 1
        if index == 0:
            chunks.append(_chunk(b"IDAT", data))
        else:
            chunks.append(_chunk(b"fdAT", struct.pack(">I", sequence) + data))
            sequence += 1
    chunks.append(_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def single(channel: Callable[[int, int], int]) -> Callable[[int, int], tuple[int, ...]]:
    """The pixels of a one-channel image, as `png16` takes them."""
    return lambda x, y: (channel(x, y),)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def linear_profile(mode: str) -> bytes:
    """An ICC v2 profile for RGB (with sRGB's primaries) or grey (mode "L") pixels, with sRGB's
    white point but linear light (gamma 1.0): a value v shows what sRGB writes as
    `srgb_encoded(v)`."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).profile

    def xyz(point: tuple[tuple[float, float, float], Any] | None) -> bytes:
        assert point is not None
        return b"XYZ \0\0\0\0" + b"".join(_s15(value) for value in point[0])

    description = b"Linear light\0"
    linear = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100)
    tags = {
        b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(description)) + description + bytes(78),
        b"cprt": b"text\0\0\0\0No copyright\0",
        b"wtpt": xyz(srgb.media_white_point),
    }
    if mode == "L":
        tags[b"kTRC"] = linear
    else:
        tags |= {b"rXYZ": xyz(srgb.red_colorant), b"gXYZ": xyz(srgb.green_colorant)}
        tags |= {b"bXYZ": xyz(srgb.blue_colorant), b"rTRC": linear, b"gTRC": linear}
        tags[b"bTRC"] = linear
    start = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags.items():
        padded = body + bytes(-len(body) % 4)
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += padded
    header = (
        struct.pack(">I4sI", start + len(data), b"lcms", 0x02100000)
        + b"mntr"
        + (b"GRAY" if mode == "L" else b"RGB ")
        + b"XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + b"".join(_s15(value) for value in (0.9642, 1.0, 0.8249))
    )
    return header + bytes(128 - len(header)) + table + data


# ---------------------------------------------------------------- the kinds


@dataclass(frozen=True)
class Kind:
    """A kind of file: its maker (the file and the frames it shows, as 8-bit RGBA), the mode
    Pillow decodes it as (which proves the file is of the kind), the tolerance, and for an
    animation its durations (ms) and loop count (None: it plays once)."""

    make: Callable[[], tuple[bytes, Frames]]
    decoded: str
    tolerance: float
    durations: tuple[int, ...] = ()
    loop: int | None = None


def grey16() -> tuple[bytes, Frames]:
    return saved(made("I;16", ramp16), "PNG"), [shown_grey(ramp16)]


SEE_THROUGH_16 = 0x1235  # one grey level, named transparent by tRNS


def grey16_with_trns() -> tuple[bytes, Frames]:
    def level(x: int, y: int) -> int:
        return SEE_THROUGH_16 if hole(x, y) else ramp16(x, y) | 0x8000  # never 0x1235

    data = png16(0, [single(level)], trns=struct.pack(">H", SEE_THROUGH_16))
    return data, [shown_grey(level, lambda x, y: 0 if hole(x, y) else 255)]


def alpha16(x: int, y: int) -> int:
    return 65535 - ramp16(x, y) // 2


def grey_alpha16() -> tuple[bytes, Frames]:
    data = png16(4, [lambda x, y: (ramp16(x, y), alpha16(x, y))])
    return data, [shown_grey(ramp16, lambda x, y: to8(alpha16(x, y)))]


def rgb16() -> tuple[bytes, Frames]:
    return png16(2, [colour16]), [opaque()]


def rgba16() -> tuple[bytes, Frames]:
    data = png16(6, [lambda x, y: (*colour16(x, y), alpha16(x, y))])
    return data, [made("RGBA", lambda x, y: (*colour8(x, y), to8(alpha16(x, y))))]


def grey8(fmt: str) -> Callable[[], tuple[bytes, Frames]]:
    def make() -> tuple[bytes, Frames]:
        levels = made("L", lambda x, y: to8(ramp16(x, y)))
        return saved(levels, fmt), [shown_grey(ramp16)]

    return make


def grey_with_trns() -> tuple[bytes, Frames]:
    def level(x: int, y: int) -> int:
        return 7 if hole(x, y) else max(8, to8(ramp16(x, y)))

    expected = made("RGBA", lambda x, y: (*[level(x, y)] * 3, 0 if hole(x, y) else 255))
    return saved(made("L", level), "PNG", transparency=7), [expected]


def grey_alpha() -> tuple[bytes, Frames]:
    def value(x: int, y: int) -> tuple[int, int]:
        return to8(ramp16(x, y)), 255 - x * 5

    expected = made("RGBA", lambda x, y: (*[value(x, y)[0]] * 3, value(x, y)[1]))
    return saved(made("LA", value), "PNG"), [expected]


def bilevel() -> tuple[bytes, Frames]:
    def on(x: int, y: int) -> int:
        return 255 if (x // 4 + y // 4) % 2 else 0

    return saved(made("1", on), "PNG"), [made("RGBA", lambda x, y: (*[on(x, y)] * 3, 255))]


PALETTE = [(255 * (i % 2), 16 * i, 255 - 16 * i) for i in range(16)]


def palette_frame(frame: int, alphas: list[int] | None) -> tuple[Image.Image, Image.Image]:
    """A palette image (index 0 in the hole when `alphas` makes it see-through) and what it
    shows, each entry with its own alpha."""
    shown_alpha = alphas or [255] * 16

    def index(x: int, y: int) -> int:
        return 0 if alphas and hole(x, y) else 1 + (x // 3 + y // 3 + frame) % 15

    image = made("P", index)
    image.putpalette([channel for colour in PALETTE for channel in colour])
    expected = made("RGBA", lambda x, y: (*PALETTE[index(x, y)], shown_alpha[index(x, y)]))
    return image, expected


def palette_png() -> tuple[bytes, Frames]:
    alphas = [0] + [17 * i for i in range(1, 16)]
    image, expected = palette_frame(0, alphas)
    return saved(image, "PNG", transparency=bytes(alphas)), [expected]


def palette_gif() -> tuple[bytes, Frames]:
    image, expected = palette_frame(0, [0] + [255] * 15)
    return saved(image, "GIF", transparency=0), [expected]


def rgb_with_trns() -> tuple[bytes, Frames]:
    def colour(x: int, y: int) -> tuple[int, int, int]:
        return (1, 2, 3) if hole(x, y) else colour8(x, y)

    expected = made("RGBA", lambda x, y: (*colour(x, y), 0 if hole(x, y) else 255))
    return saved(made("RGB", colour), "PNG", transparency=(1, 2, 3)), [expected]


def rgba8(fmt: str, **options: Any) -> Callable[[], tuple[bytes, Frames]]:
    def make() -> tuple[bytes, Frames]:
        image = made("RGBA", lambda x, y: (*colour8(x, y), 0 if hole(x, y) else 255 - x * 4))
        return saved(image, fmt, **options), [image]

    return make


def linear_light(fmt: str, mode: str, **options: Any) -> Callable[[], tuple[bytes, Frames]]:
    """An image of `mode` (RGB, RGBA, L or LA) tagged with a linear-light profile."""

    def colours(x: int, y: int) -> tuple[int, ...]:
        return (to8(ramp16(x, y)),) if mode.startswith("L") else colour8(x, y)

    def alpha(x: int, y: int) -> tuple[int, ...]:
        return (0 if hole(x, y) else 255 - x * 4,) if mode.endswith("A") else ()

    def shown(x: int, y: int) -> Rgba:
        encoded = [srgb_encoded(value) for value in colours(x, y)]
        red, green, blue = encoded * 3 if len(encoded) == 1 else encoded
        return red, green, blue, (*alpha(x, y), 255)[0]

    def make() -> tuple[bytes, Frames]:
        image = made(
            mode, lambda x, y: (colours(x, y) + alpha(x, y)) if mode != "L" else colours(x, y)[0]
        )
        profile = linear_profile(mode.removesuffix("A"))
        return saved(image, fmt, icc_profile=profile, **options), [made("RGBA", shown)]

    return make


def cmyk() -> tuple[bytes, Frames]:
    """Pillow writes CMYK JPEGs as Adobe's inverted CMYK. Each of R, G, B is the white left
    by its ink (C, M, Y) times the white left by K."""

    def inks(x: int, y: int) -> tuple[int, int, int, int]:
        value = to8(ramp16(x, y))
        return value, 255 - value, value // 2, (x * 4) % 96

    def shown(x: int, y: int) -> Rgba:
        cyan, magenta, yellow, black = inks(x, y)
        red, green, blue = (
            round((255 - ink) * (255 - black) / 255) for ink in (cyan, magenta, yellow)
        )
        return red, green, blue, 255

    return saved(made("CMYK", inks), "JPEG", quality=95), [made("RGBA", shown)]


def turned_by_exif() -> tuple[bytes, Frames]:
    """A phone's landscape JPEG of a portrait scene: orientation 6 asks for a turn of 90
    degrees clockwise."""
    exif = Image.Exif()
    exif[0x0112] = 6
    data = saved(made("RGB", colour8), "JPEG", quality=95, exif=exif.tobytes())
    return data, [opaque().transpose(Image.Transpose.ROTATE_270)]


DURATIONS = (100, 250, 400)


def moving(fmt: str, see_through: bool, loop: int | None) -> Callable[[], tuple[bytes, Frames]]:
    """Three frames of colour ramps (with the hole see-through, and the rest half so in an
    APNG or WebP), in `fmt`, playing `loop` times (0: forever; None: once)."""

    def frame(index: int) -> Image.Image:
        def value(x: int, y: int) -> Rgba:
            alpha = 255 if not see_through else 0 if hole(x, y) else 128 + 40 * index
            return (*colour8(x, y, index), alpha)

        return made("RGBA", value)

    def make() -> tuple[bytes, Frames]:
        frames = [frame(index) for index in range(len(DURATIONS))]
        sources = frames if see_through else [image.convert("RGB") for image in frames]
        options = {} if loop is None else {"loop": loop}
        lossless = {"lossless": True} if fmt == "WEBP" else {}
        return animation(sources, fmt, list(DURATIONS), **options, **lossless), frames

    return make


def moving_gif(see_through: bool, loop: int | None) -> Callable[[], tuple[bytes, Frames]]:
    def make() -> tuple[bytes, Frames]:
        alphas = [0] + [255] * 15 if see_through else None
        frames = [palette_frame(index, alphas) for index in range(len(DURATIONS))]
        options: dict[str, Any] = {} if loop is None else {"loop": loop}
        if see_through:
            options["transparency"] = 0
        data = animation([image for image, _ in frames], "GIF", list(DURATIONS), **options)
        return data, [expected for _, expected in frames]

    return make


def grey16_apng() -> tuple[bytes, Frames]:
    def level(index: int) -> Callable[[int, int], int]:
        return lambda x, y: (ramp16(x, y) + index * 20000) % 65536

    levels = [level(index) for index in range(len(DURATIONS))]
    data = png16(0, [single(v) for v in levels], durations=DURATIONS, loop=2)
    return data, [shown_grey(v) for v in levels]


KINDS: dict[str, Kind] = {
    "png, 16-bit grey": Kind(grey16, "I;16", LOSSLESS),
    "png, 16-bit grey with one level see-through (tRNS)": Kind(grey16_with_trns, "I;16", LOSSLESS),
    "png, 16-bit grey and alpha": Kind(grey_alpha16, "RGBA", LOSSLESS),
    "png, 16-bit RGB": Kind(rgb16, "RGB", LOSSLESS),
    "png, 16-bit RGBA": Kind(rgba16, "RGBA", LOSSLESS),
    "png, 8-bit grey": Kind(grey8("PNG"), "L", LOSSLESS),
    "png, grey with one level see-through (tRNS)": Kind(grey_with_trns, "L", LOSSLESS),
    "png, grey and alpha": Kind(grey_alpha, "LA", LOSSLESS),
    "png, 1-bit": Kind(bilevel, "1", LOSSLESS),
    "png, palette with alpha per entry (tRNS)": Kind(palette_png, "P", LOSSLESS),
    "png, RGB with one colour see-through (tRNS)": Kind(rgb_with_trns, "RGB", LOSSLESS),
    "png, RGBA": Kind(rgba8("PNG"), "RGBA", LOSSLESS),
    "png, linear-light colour profile": Kind(linear_light("PNG", "RGB"), "RGB", LOSSLESS),
    "png, RGBA, linear-light colour profile": Kind(linear_light("PNG", "RGBA"), "RGBA", LOSSLESS),
    "png, grey, linear-light grey profile": Kind(linear_light("PNG", "L"), "L", LOSSLESS),
    "png, grey and alpha, linear-light grey profile": Kind(
        linear_light("PNG", "LA"), "LA", LOSSLESS
    ),
    "gif, one palette index see-through": Kind(palette_gif, "P", LOSSLESS),
    "jpeg, grey": Kind(grey8("JPEG"), "L", LOSSY),
    "jpeg, CMYK (Adobe, inverted)": Kind(cmyk, "CMYK", LOSSY),
    "jpeg, linear-light colour profile": Kind(
        linear_light("JPEG", "RGB", quality=95), "RGB", LOSSY
    ),
    "jpeg, turned by its EXIF orientation": Kind(turned_by_exif, "RGB", LOSSY),
    "webp, RGBA": Kind(rgba8("WEBP", lossless=True), "RGBA", LOSSY),
    "webp, linear-light colour profile": Kind(
        linear_light("WEBP", "RGB", lossless=True), "RGB", LOSSY
    ),
    "apng, plays twice": Kind(moving("PNG", False, 2), "RGB", LOSSLESS, DURATIONS, 2),
    "apng, see-through, loops": Kind(moving("PNG", True, 0), "RGBA", LOSSLESS, DURATIONS, 0),
    "apng, 16-bit grey": Kind(grey16_apng, "I;16", LOSSLESS, DURATIONS, 2),
    "webp animation, plays 3 times": Kind(moving("WEBP", False, 3), "RGB", LOSSY, DURATIONS, 3),
    "webp animation, see-through, loops": Kind(
        moving("WEBP", True, 0), "RGBA", LOSSY, DURATIONS, 0
    ),
    "gif animation, loops": Kind(moving_gif(False, 0), "P", LOSSLESS, DURATIONS, 0),
    "gif animation, see-through, plays once": Kind(
        moving_gif(True, None), "P", LOSSLESS, DURATIONS, None
    ),
}

# ---------------------------------------------------------------- reading back, comparing


@dataclass(frozen=True)
class Stored:
    fmt: str
    frames: Frames
    durations: tuple[int, ...]
    loop: int | None
    metadata: set[str]


def read_back(data: bytes) -> Stored:
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode in ("RGB", "RGBA", "P"), image.mode  # 8 bits a channel
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            frames.append(frame.convert("RGBA"))
            durations.append(int(frame.info.get("duration") or 0))
        animated = len(frames) > 1
        metadata = {key for key in ("icc_profile", "exif") if image.info.get(key)}
        return Stored(
            image.format or "",
            frames,
            tuple(durations) if animated else (),
            image.info.get("loop") if animated else None,
            metadata,
        )


def differences(shown: Image.Image, expected: Image.Image) -> list[float]:
    """Mean absolute difference of R, G, B (both laid over mid grey) and of alpha."""
    assert shown.size == expected.size
    backdrop = Image.new("RGBA", expected.size, (128, 128, 128, 255))
    seen = [Image.alpha_composite(backdrop, image).convert("RGB") for image in (shown, expected)]
    colours = ImageStat.Stat(ImageChops.difference(*seen)).mean
    alpha = ImageStat.Stat(ImageChops.difference(shown.getchannel("A"), expected.getchannel("A")))
    return [round(value, 2) for value in (*colours, *alpha.mean)]


def square_middle(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def assert_shows(stored: Stored, expected: Frames, kind: Kind) -> None:
    assert len(stored.frames) == len(expected)
    for index, (shown, wanted) in enumerate(zip(stored.frames, expected, strict=True)):
        off = differences(shown, wanted)
        assert max(off) <= kind.tolerance, f"frame {index}: R, G, B, A off by {off}"
    assert stored.durations == kind.durations
    assert stored.loop == kind.loop
    assert stored.metadata == set()


def source_format(data: bytes, kind: Kind) -> str:
    with Image.open(io.BytesIO(data)) as source:  # the file really is of its kind
        assert source.mode == kind.decoded
        assert getattr(source, "n_frames", 1) == max(1, len(kind.durations))
        return source.format or ""


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", list(KINDS))
async def test_each_kind_is_stored_showing_what_it_showed(name: str) -> None:
    kind = KINDS[name]
    data, expected = kind.make()
    fmt = source_format(data, kind)
    image = await media.verify_upload(data, "image")
    stored = read_back(image.data)
    assert stored.fmt == fmt
    assert (image.width, image.height) == expected[0].size
    assert_shows(stored, expected, kind)


@pytest.mark.parametrize("name", list(KINDS))
async def test_each_kind_as_an_avatar_is_cropped_square_and_keeps_its_frames(name: str) -> None:
    kind = KINDS[name]
    data, expected = kind.make()
    image = await media.verify_upload(data, "avatar", square=media.AVATAR_SIZE)
    assert_shows(read_back(image.data), [square_middle(frame) for frame in expected], kind)


@pytest.mark.parametrize("name", list(KINDS))
async def test_each_kinds_thumbnails_have_its_colours(name: str) -> None:
    kind = KINDS[name]
    data, expected = kind.make()
    url = media.save(await media.verify_upload(data, "image"))
    feed, avatar = await asyncio.to_thread(media.make_thumbnails, url, ["feed", "avatar"])
    still = Kind(kind.make, kind.decoded, kind.tolerance)  # a thumbnail is the first frame
    assert_shows(read_back(stored_bytes(feed)), expected[:1], still)
    assert_shows(read_back(stored_bytes(avatar)), [square_middle(expected[0])], still)


async def test_the_forms_and_the_api_keep_the_kind(
    members: Callable[[str], Any], client: AsyncClient
) -> None:
    alice: AsyncClient = await members("alice")
    grey_kind, moving_kind, avatar_kind = (
        KINDS["png, 16-bit grey"],
        KINDS["webp animation, see-through, loops"],
        KINDS["apng, plays twice"],
    )

    data, expected = grey_kind.make()
    form = {"text": "Grey", "image_alt": "A ramp", "_csrf_token": await csrf_token(alice)}
    response = await alice.post("/posts", data=form, files={"image": ("g.png", data, "image/png")})
    assert response.status_code == 303, response.text
    post = await Post.objects().first()
    assert post is not None and post.image is not None
    assert_shows(read_back(stored_bytes(post.image)), expected, grey_kind)

    data, expected = avatar_kind.make()
    form = {"display_name": "Alice", "bio": "", "_csrf_token": await csrf_token(alice)}
    response = await alice.post(
        "/settings/profile", data=form, files={"avatar": ("a.png", data, "image/png")}
    )
    assert response.status_code == 303, response.text
    user = await User.objects().where(User.username == "alice").first()
    assert user is not None and user.avatar is not None
    cropped = [square_middle(frame) for frame in expected]
    assert_shows(read_back(stored_bytes(user.avatar)), cropped, avatar_kind)

    bob = await caller(client, "bob")
    data, expected = moving_kind.make()
    answer = await bob.post("/api/v2/media", files={"file": ("m.webp", data, "image/webp")})
    assert answer.status_code == 200, answer.text
    upload = await MediaUpload.objects().first()
    assert upload is not None
    assert_shows(read_back(stored_bytes(upload.image)), expected, moving_kind)


def stored_bytes(url: str) -> bytes:
    return (media.media_dir() / url.removeprefix("/media/")).read_bytes()


async def test_an_animation_too_costly_to_encode_is_a_422(monkeypatch: pytest.MonkeyPatch) -> None:
    # In a child of 190 MB these frames decode, then libwebp cannot get the memory to encode
    # them and fails with an error of its own rather than MemoryError: still a 422, not a 500.
    monkeypatch.setattr(isolation, "MEMORY_LIMIT_BYTES", 190 * 1024 * 1024)
    frames = [Image.new("RGB", (2000, 2000), (80 * index, 90, 200)) for index in range(3)]
    data = animation(frames, "WEBP", [50] * 3, lossless=True)
    with pytest.raises(ValidationFailed) as refused:
        await media.verify_upload(data, "file")
    assert refused.value.errors == {"file": media.TOO_COSTLY}


async def test_an_apng_keeps_its_default_image_outside_the_animation() -> None:
    # The first image is what a viewer without APNG shows; players skip it.
    frames = [opaque(index) for index in range(3)]
    data = animation(frames, "PNG", [250, 400], loop=0, default_image=True)
    image = await media.verify_upload(data, "image")
    with Image.open(io.BytesIO(image.data)) as apng:
        assert apng.info.get("default_image") is True
    stored = read_back(image.data)
    assert (stored.durations, stored.loop) == ((0, 250, 400), 0)
    for shown, wanted in zip(stored.frames, frames, strict=True):
        assert max(differences(shown, wanted)) <= LOSSLESS
