"""Uploaded images: what is accepted, how it is cleaned and named, where it is kept, thumbnails.

An upload is trusted only after Pillow has decoded it: the file name and the content type the
browser sent mean nothing. Accepted images are re-encoded from their pixels alone, which drops
every piece of metadata (EXIF with its GPS position, comments, colour profiles), and are stored
under the SHA-256 of the re-encoded bytes, so the same picture is kept once and a name never
changes meaning: that is what lets `/media/` be cached for a year. The stored name carries the
image's size (`<sha256>-<width>x<height>.<ext>`), so pages can give `width`/`height` without
opening the file. Thumbnails are made later by the `make_thumbnails` job; until they exist,
pages show the original (`shown`).

Decoding is bounded twice over: the header's promises are checked against pixel budgets
before any pixel is decoded (and again frame by frame, since a GIF frame may grow the
canvas), and all of Pillow's work runs in a limited child process (`domain.media.isolation`),
so that no upload can grow the web process or the worker.

Images keep what they are: every frame of an animated GIF, APNG or WebP is kept, with its
duration and the loop count, in the same format; every pixel is stored as 8-bit sRGB (RGB, or
RGBA when the image has any transparency), whatever the file held: 16-bit channels are scaled
(not clipped), greyscale, palettes and CMYK are expanded, transparency (an alpha channel, a
tRNS chunk or a GIF's transparent index) becomes alpha, and an embedded colour profile is
applied before it is dropped with the rest of the metadata.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageMath, ImageOps, ImageSequence, UnidentifiedImageError

from domain.core.errors import ValidationFailed
from domain.core.settings import get_settings
from domain.core.text import control_character_problem
from domain.media.isolation import OverLimit, run_isolated, run_isolated_blocking

logger = logging.getLogger(__name__)

URL_PREFIX = "/media/"
# Pillow format name -> the extension the stored file gets.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
# Refused before decoding: a small file can declare a huge canvas (a decompression bomb).
MAX_PIXELS = 40_000_000  # in one frame: width x height
MAX_TOTAL_PIXELS = 100_000_000  # in all: width x height summed over the frames
MAX_GIF_FRAMES = 200
MAX_ALT_LENGTH = 1_000
AVATAR_SIZE = 512  # avatars are cropped square and kept at most this big
THUMBNAIL_KINDS = {"feed": 640, "avatar": 96}  # feed: max width; avatar: square side
NAME_PATTERN = re.compile(r"(?P<digest>[0-9a-f]{64})-(?P<width>\d+)x(?P<height>\d+)\.(?P<ext>\w+)")
NOT_AN_IMAGE = "That file is not a JPEG, PNG, WebP or GIF image, or it is damaged (cut short?)."
TOO_MANY_PIXELS = (
    f"That image has too many pixels. The limit is {MAX_PIXELS // 1_000_000} megapixels."
)
TOO_MANY_IN_ALL = (
    "That image has too many pixels across its frames. The limit is "
    f"{MAX_TOTAL_PIXELS // 1_000_000} megapixels counting every frame "
    "(width times height times frames)."
)
TOO_COSTLY = "That image is too large to process. Try a smaller one, or one with fewer frames."
# Modes of one grey channel wider than 8 bits (a 16-bit PNG), which Pillow's own conversion
# to 8 bits clips rather than scales: every value above 255 would come out white.
WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# An embedded profile's colour space -> the mode of the pixels it describes.
PROFILE_MODES = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class Refused(ValueError):
    """An upload that is not an acceptable image; the message is for the person."""


class ImageTooLarge(ValidationFailed):
    """The file is over the upload limit (answered with 413 rather than 422)."""


@dataclass(frozen=True)
class CleanImage:
    """A verified upload, re-encoded without metadata, not yet written."""

    data: bytes
    ext: str
    width: int
    height: int

    @property
    def name(self) -> str:
        digest = hashlib.sha256(self.data).hexdigest()
        return f"{digest}-{self.width}x{self.height}.{self.ext}"


@dataclass(frozen=True)
class Shown:
    """What a page puts in an <img>: the thumbnail when it exists, else the original."""

    url: str
    width: int
    height: int


def media_dir() -> Path:
    return Path(get_settings().media_dir)


def _human(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def upload_limit() -> str:
    """The upload limit as people read it ("5 MB")."""
    return _human(get_settings().max_upload_bytes)


def size_problem(data: bytes) -> str | None:
    if len(data) > get_settings().max_upload_bytes:
        return f"That image is too large: the limit is {upload_limit()}."
    return None


def alt_problem(alt: str) -> str | None:
    """A description is required with an image, for people who cannot see it."""
    if not alt.strip():
        return "Describe the image for people who cannot see it."
    if len(alt.strip()) > MAX_ALT_LENGTH:
        return f"The image description must be at most {MAX_ALT_LENGTH} characters."
    return control_character_problem(alt, "The image description")


@contextmanager
def _refusing_bad_images() -> Iterator[None]:
    """Turn what Pillow raises on a bomb or a broken file into Refused."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused(TOO_MANY_PIXELS) from error
    except (UnidentifiedImageError, OSError, SyntaxError, EOFError, ValueError) as error:
        # ValueError: decoded, but Pillow cannot convert its pixels.
        raise Refused(NOT_AN_IMAGE) from error


def _check_frame(frame: Image.Image) -> None:
    if frame.width * frame.height > MAX_PIXELS:
        raise Refused(TOO_MANY_PIXELS)


def _open_verified(data: bytes) -> Image.Image:
    """Open the upload, refuse what its header says is too big, then decode its first frame."""
    image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    _check_frame(image)
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_GIF_FRAMES:
        raise Refused(f"That image has more than {MAX_GIF_FRAMES} frames.")
    if image.width * image.height * frames > MAX_TOTAL_PIXELS:
        raise Refused(TOO_MANY_IN_ALL)
    image.load()
    return image


def _animation(image: Image.Image) -> tuple[list[Image.Image], list[int]]:
    """Every frame as 8-bit sRGB pixels (upright), with its duration (ms); a still is one frame.
    A GIF frame drawn beyond the canvas enlarges it (for this frame and all after it), so the
    header's size is only a lower bound: the budget is checked again at each frame, before
    decoding it, with what the rest must then cost."""
    frames: list[Image.Image] = []
    durations: list[int] = []
    count = getattr(image, "n_frames", 1)
    to_srgb = _srgb_transform(image)
    pixels = 0
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        _check_frame(frame)
        if pixels + frame.width * frame.height * (count - index) > MAX_TOTAL_PIXELS:
            raise Refused(TOO_MANY_IN_ALL)
        pixels += frame.width * frame.height
        # Honour the camera's orientation before the EXIF that records it is dropped.
        frames.append(_pixels_only(ImageOps.exif_transpose(frame), to_srgb))
        durations.append(round(frame.info.get("duration", 100)))
    if any(frame.mode == "RGBA" for frame in frames):
        # Transparency may start at a later frame, and an encoder wants one mode throughout.
        for index, frame in enumerate(frames):
            frames[index] = frame.convert("RGBA")
    return frames, durations


def _srgb_transform(image: Image.Image) -> ImageCms.ImageCmsTransform | None:
    """The conversion from the image's embedded colour profile to sRGB; None without a
    profile, or with one that cannot be used (the pixels are then taken as sRGB, as browsers
    take untagged images)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = PROFILE_MODES.get(profile.profile.xcolor_space.strip())
        return None if mode is None else ImageCms.buildTransform(profile, SRGB, mode, "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def _eight_bit(frame: Image.Image) -> Image.Image:
    """The frame as L, LA, RGB, RGBA or CMYK with every channel 0..255, any transparency it
    has (tRNS, a transparent palette index) turned into an alpha channel."""
    transparency = frame.info.get("transparency")
    if frame.mode in WIDE_GREY:
        wide = frame.convert("I")
        grey = wide.point(lambda value: value / 257 + 0.5).convert("L")
        if isinstance(transparency, int):  # one 16-bit grey level is see-through
            seen = ImageMath.lambda_eval(lambda pixel: (pixel["v"] != transparency) * 255, v=wide)
            grey.putalpha(seen.convert("L"))
        return grey
    if transparency is None and frame.mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return frame
    has_alpha = frame.mode in ("LA", "PA", "RGBA") or transparency is not None
    if frame.mode in ("1", "L", "LA"):
        return frame.convert("LA" if has_alpha else "L")
    return frame.convert("RGBA" if has_alpha else "RGB")


def _pixels_only(frame: Image.Image, to_srgb: ImageCms.ImageCmsTransform | None) -> Image.Image:
    """A new 8-bit sRGB image (RGB, or RGBA if the frame has transparency) holding nothing but
    the frame's pixels (no EXIF, ICC profile, comments or text); `to_srgb` applies the
    frame's colour profile."""
    pixels = _eight_bit(frame)
    has_alpha = pixels.mode in ("LA", "RGBA")
    colours = pixels.mode.removesuffix("A")
    if to_srgb is not None and to_srgb.input_mode == colours:
        converted = to_srgb.apply(pixels.convert(colours))
        if has_alpha:
            converted.putalpha(pixels.getchannel("A"))
    else:
        converted = pixels.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())


def _encode(
    frames: list[Image.Image],
    fmt: str,
    durations: list[int] | None = None,
    source: Image.Image | None = None,
) -> bytes:
    """Encode the frames as `fmt`: several frames make an animation, with their `durations`
    and the `source` file's loop count (and, for an APNG, whether its first image is outside
    the animation)."""
    out = io.BytesIO()
    first = frames[0]
    options: dict[str, object] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "JPEG":
        first = first.convert("RGB")
    if len(frames) > 1:
        info = source.info if source is not None else {}
        options.update(save_all=True, append_images=frames[1:], duration=durations)
        if info.get("loop") is not None:  # a GIF without a loop count plays once
            options["loop"] = info["loop"]
        if fmt == "PNG" and info.get("default_image"):
            # Pillow times only the frames of the animation, which the default image is not.
            options.update(default_image=True, duration=(durations or [])[1:])
    elif fmt != "WEBP":
        options["optimize"] = True
    try:
        first.save(out, fmt, **options)
    except (RuntimeError, OSError) as error:
        # An encoder short of memory in the limited child fails with an error of its own
        # (libwebp's "WebPEncodingError: 1"), not MemoryError: the image costs too much.
        raise OverLimit(f"{fmt} encoder: {error}") from error
    return out.getvalue()


def clean(data: bytes, square: int | None = None) -> CleanImage:
    """Verify and re-encode an upload (in the same format, an animation still animated, as
    8-bit sRGB); `square` crops every frame to a square of at most that side, for avatars.
    Raises Refused with a message for the person. Decodes in the calling process:
    `verify_upload` runs it in a limited child."""
    with _refusing_bad_images():
        image = _open_verified(data)
        fmt = image.format or ""
        if fmt not in FORMATS:
            raise Refused(NOT_AN_IMAGE)
        frames, durations = _animation(image)
        if square is not None:
            side = min(square, *frames[0].size)
            frames = [
                ImageOps.fit(frame, (side, side), Image.Resampling.LANCZOS) for frame in frames
            ]
        width, height = frames[0].size
        data = _encode(frames, fmt, durations, image)
        return CleanImage(data, FORMATS[fmt], width, height)


def _write_once(path: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half a file); an existing file is the same bytes."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(image: CleanImage) -> str:
    """Store the image; returns its URL path (what the Post.image / User.avatar columns hold)."""
    path = media_dir() / image.name
    if path.exists():
        # Files are shared by content: a fresh mtime tells `remove_unused` it is wanted again.
        path.touch()
    _write_once(path, image.data)
    return URL_PREFIX + image.name


def remove_unused(url: str, untouched_since: float) -> bool:
    """Delete a stored image and its thumbnails, which the caller knows nothing refers to,
    unless `save` stored it again after `untouched_since` (epoch seconds): between the
    caller's check and now, someone may have uploaded the same picture. Returns whether it
    was deleted; a missing file counts as deleted, so a retry is harmless."""
    match = _parse(url)
    if match is None:
        return False
    name = match.group(0)
    original = media_dir() / name
    try:
        if original.stat().st_mtime >= untouched_since:
            return False
    except FileNotFoundError:
        pass
    for kind in THUMBNAIL_KINDS:
        (media_dir() / kind / name).unlink(missing_ok=True)
    original.unlink(missing_ok=True)
    return True


async def verify_upload(data: bytes, field: str, square: int | None = None) -> CleanImage:
    """Check the size, then decode in a limited child process (`clean`, off the event loop);
    raises ImageTooLarge (over the upload limit) or ValidationFailed for `field`."""
    if problem := size_problem(data):
        raise ImageTooLarge({field: problem})
    try:
        return await run_isolated(clean, data, square)
    except Refused as error:
        raise ValidationFailed({field: str(error)}) from error
    except OverLimit as error:
        raise ValidationFailed({field: TOO_COSTLY}) from error


async def verify_alongside(data: bytes, field: str, errors: dict[str, str]) -> CleanImage:
    """`verify_upload`, failing with the form's other `errors` too, so that every problem is
    reported at once (as ImageTooLarge when the file is too large)."""
    try:
        image = await verify_upload(data, field)
    except ValidationFailed as failure:
        failed = ImageTooLarge if isinstance(failure, ImageTooLarge) else ValidationFailed
        raise failed({**errors, **failure.errors}) from failure
    if errors:
        raise ValidationFailed(errors)
    return image


# ---------------------------------------------------------------- thumbnails and display


def _parse(url: str) -> re.Match[str] | None:
    if not url.startswith(URL_PREFIX):
        return None
    return NAME_PATTERN.fullmatch(url.removeprefix(URL_PREFIX))


def thumbnail_size(kind: str, width: int, height: int) -> tuple[int, int]:
    """The thumbnail's size, computed (not read) so pages know it before the file exists."""
    limit = THUMBNAIL_KINDS[kind]
    if kind == "avatar":
        side = min(limit, width, height)
        return side, side
    if width <= limit:
        return width, height
    return limit, max(1, round(height * limit / width))


def original_size(url: str) -> tuple[int, int] | None:
    """The stored image's width and height, read from its name; None for an image not ours."""
    match = _parse(url)
    return None if match is None else (int(match["width"]), int(match["height"]))


def shown(url: str | None, kind: str) -> Shown | None:
    """The thumbnail of this kind if the job has made it, otherwise the original."""
    if not url:
        return None
    match = _parse(url)
    if match is None:  # not one of ours (e.g. set by hand): shown as it is, at the kind's size
        side = THUMBNAIL_KINDS[kind]
        return Shown(url, side, side)
    name, width, height = match.group(0), int(match["width"]), int(match["height"])
    if (media_dir() / kind / name).exists():
        return Shown(f"{URL_PREFIX}{kind}/{name}", *thumbnail_size(kind, width, height))
    return Shown(url, width, height)


def _write_thumbnails(directory: str, name: str, kinds: list[str]) -> None:
    """In a limited child: write the `kinds` of thumbnail of the image `name` in `directory`."""
    with Image.open(Path(directory) / name) as original:
        original.seek(0)  # an animation's thumbnail is its first frame
        frame = _pixels_only(original, _srgb_transform(original))
        for kind in kinds:
            size = thumbnail_size(kind, original.width, original.height)
            resized = ImageOps.fit(frame, size, Image.Resampling.LANCZOS)
            target = Path(directory) / kind / name
            _write_once(target, _encode([resized], original.format or "PNG"))


def make_thumbnails(url: str, kinds: list[str]) -> list[str]:
    """Make the missing thumbnails of a stored image; returns their URLs. Idempotent: an
    existing thumbnail is kept, and files appear atomically, so a retry is always safe. Blocks
    while a limited child process decodes; an image too large for it gets no thumbnails (pages
    keep showing the original)."""
    match = _parse(url)
    if match is None:
        return []
    name = match.group(0)
    if not (media_dir() / name).exists():
        return []  # nothing to make it from, now or on a retry
    missing = [kind for kind in kinds if not (media_dir() / kind / name).exists()]
    if missing:
        try:
            run_isolated_blocking(_write_thumbnails, str(media_dir()), name, missing)
        except OverLimit:
            logger.warning("No thumbnails for %s: too large to process", name)
            return []
    return [f"{URL_PREFIX}{kind}/{name}" for kind in kinds]
