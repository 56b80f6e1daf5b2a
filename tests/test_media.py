"""Images on posts and avatars, through the HTTP app: uploads are decoded and re-encoded,
refused with a message next to the field when they are not images, too large or undescribed,
served from /media/ with long cache headers, and replaced by thumbnails once the job ran."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from httpx import AsyncClient, Response
from PIL import GifImagePlugin, Image

from domain import accounts, media, posts
from domain.accounts import User
from domain.core.outbox import OutboxMessage
from domain.core.settings import get_settings
from domain.posts import Post
from tasks.media_jobs import make_thumbnails
from tests.helpers import NO_CONTEXT, csrf_token, failure_page

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
IMG_SRC = re.compile(
    r'<img src="(/media/[^"]+)" alt="([^"]*)"(?: dir="auto")? width="(\d+)" height="(\d+)"'
)


def png(width: int = 80, height: int = 60, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG carrying a camera make and a GPS position in its EXIF, as phones write them."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge canvas: a decompression bomb."""
    data = bytearray(png(1, 1))
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


async def compose(
    client: AsyncClient, text: str, image: bytes | None, alt: str = "", filename: str = "a.png"
) -> Response:
    # With no file chosen, a browser sends an empty part with an empty file name.
    chosen = (
        (filename, image, "image/png")
        if image is not None
        else ("", b"", "application/octet-stream")
    )
    files = {"image": chosen}
    data = {"text": text, "image_alt": alt, "_csrf_token": await csrf_token(client)}
    return await client.post("/posts", data=data, files=files)


def media_files() -> set[Path]:
    return {path for path in Path(get_settings().media_dir).rglob("*") if path.is_file()}


def stored(url: str) -> Path:
    return Path(get_settings().media_dir) / url.removeprefix("/media/")


async def test_a_post_with_an_image_shows_it_with_its_description(members: Members) -> None:
    alice = await members("alice")
    response = await compose(alice, "Look at this", png(800, 600), "A red rectangle")
    assert response.status_code == 303, response.text

    page = (await alice.get("/")).text
    [(src, alt, width, height)] = IMG_SRC.findall(page)
    # Drawn at most 512 px tall in its own shape (post_body.html): 800x600 shows as 683x512.
    assert (alt, width, height) == ("A red rectangle", "683", "512")
    assert re.fullmatch(r"/media/[0-9a-f]{64}-800x600\.png", src)
    assert 'loading="lazy"' in page
    with Image.open(stored(src)) as saved:
        assert (saved.format, saved.size) == ("PNG", (800, 600))
    post = await Post.objects().first()
    assert post is not None and (post.image, post.image_alt) == (src, "A red rectangle")


async def test_posting_text_only_in_a_multipart_form_still_works(members: Members) -> None:
    alice = await members("alice")
    response = await compose(alice, "Just words", None)
    assert response.status_code == 303, response.text
    post = await Post.objects().first()
    assert post is not None and post.text == "Just words" and post.image is None


async def test_an_image_without_a_description_is_refused(members: Members) -> None:
    alice = await members("alice")
    response = await failure_page(alice, await compose(alice, "Undescribed", png(), "  "))
    assert response.status_code == 422
    assert 'id="error-image_alt">Describe the image for people who cannot see it.' in response.text
    assert ">Undescribed</textarea>" in response.text
    assert await Post.count() == 0


async def test_a_text_file_named_png_is_refused_with_a_message(members: Members) -> None:
    alice = await members("alice")
    before = media_files()
    response = await failure_page(
        alice, await compose(alice, "Sneaky", b"just some text, honest\n" * 20, "A picture")
    )
    assert response.status_code == 422
    assert f'id="error-image">{media.NOT_AN_IMAGE}</p>' in response.text
    assert ">Sneaky</textarea>" in response.text
    assert 'value="A picture"' in response.text
    assert await Post.count() == 0
    assert media_files() == before  # nothing was stored


async def test_an_image_over_the_limit_is_refused_with_413(members: Members) -> None:
    alice = await members("alice")
    too_big = png() + b"\0" * get_settings().max_upload_bytes
    response = await failure_page(alice, await compose(alice, "Huge", too_big, "Big"))
    assert response.status_code == 413
    assert 'id="error-image">That image is too large: the limit is 5 MB.' in response.text
    assert ">Huge</textarea>" in response.text
    assert await Post.count() == 0


async def test_a_decompression_bomb_is_refused(members: Members) -> None:
    alice = await members("alice")
    response = await failure_page(
        alice, await compose(alice, "Bomb", png_claiming(30_000, 30_000), "Tiny file")
    )
    assert response.status_code == 422
    assert 'id="error-image">That image has too many pixels.' in response.text
    assert await Post.count() == 0


async def test_exif_and_gps_are_stripped(members: Members) -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:  # the fixture really carries them
        assert check.getexif()[0x010F] == "SpyCam" and 0x8825 in check.getexif()
    alice = await members("alice")
    response = await compose(alice, "Holiday", original, "A blue square", filename="a.jpg")
    assert response.status_code == 303, response.text
    post = await Post.objects().first()
    assert post is not None and post.image is not None and post.image.endswith("-64x48.jpg")
    saved = stored(post.image).read_bytes()
    assert b"SpyCam" not in saved and b"Exif" not in saved
    with Image.open(io.BytesIO(saved)) as cleaned:
        assert cleaned.format == "JPEG" and len(cleaned.getexif()) == 0


async def test_the_same_picture_is_stored_once_under_its_hash(members: Members) -> None:
    alice = await members("alice")
    for text in ("One", "Two"):
        assert (await compose(alice, text, png(30, 30, "green"), "Green")).status_code == 303
    images = {row["image"] for row in await Post.select(Post.image)}
    assert len(images) == 1


async def test_a_post_with_an_image_records_the_thumbnail_job() -> None:
    # No app here, so no relay: the outbox row stays to be looked at.
    author = await accounts.sign_up("writer", "Writer", "a long enough passphrase")
    post = await posts.publish(author, "Pic", image=posts.AttachedImage(png(1, 1), "A dot"))
    assert post.image is not None
    jobs = {row["job"]: row["payload"] for row in await OutboxMessage.select()}
    assert "make_thumbnails" in jobs
    assert f'"{post.image}"' in jobs["make_thumbnails"] and '"feed"' in jobs["make_thumbnails"]


async def test_the_thumbnail_job_makes_files_and_pages_switch_to_them(members: Members) -> None:
    alice = await members("alice")
    assert (await compose(alice, "Wide", png(1280, 960), "A wide red field")).status_code == 303
    [(original, *_)] = IMG_SRC.findall((await alice.get("/")).text)  # cached as a fragment now

    made = await make_thumbnails(NO_CONTEXT, url=original, kinds=["feed"])
    thumbnail = original.replace("/media/", "/media/feed/")
    assert made == [thumbnail]
    with Image.open(stored(thumbnail)) as small:
        assert small.size == (640, 480)
    first_write = stored(thumbnail).stat().st_mtime_ns
    assert await make_thumbnails(NO_CONTEXT, url=original, kinds=["feed"]) == [thumbnail]  # a retry
    assert stored(thumbnail).stat().st_mtime_ns == first_write

    for path in ("/", "/explore", "/@alice"):
        [(src, alt, width, height)] = IMG_SRC.findall((await alice.get(path)).text)
        assert (src, alt, width, height) == (thumbnail, "A wide red field", "640", "480")
    served = await alice.get(thumbnail)
    assert served.status_code == 200 and served.content == stored(thumbnail).read_bytes()


async def test_avatar_upload_crops_square_and_shows_on_profile_and_posts(members: Members) -> None:
    alice = await members("alice")
    data = {"display_name": "Alice A", "bio": "Hi", "_csrf_token": await csrf_token(alice)}
    files = {"avatar": ("me.webp", png(300, 200), "image/webp")}
    response = await alice.post("/settings/profile", data=data, files=files)
    assert response.status_code == 303, response.text

    user = await User.objects().where(User.username == "alice").first()
    assert user is not None and user.avatar is not None and user.display_name == "Alice A"
    assert re.fullmatch(r"/media/[0-9a-f]{64}-200x200\.png", user.avatar)
    profile = (await alice.get("/@alice")).text
    assert f'<img class="avatar avatar--lg" src="{user.avatar}" alt="" width="96"' in profile
    edit_page = (await alice.get("/settings/profile")).text
    assert f'<img class="avatar avatar--lg" src="{user.avatar}"' in edit_page
    assert "<figcaption>Your current avatar</figcaption>" in edit_page

    assert await make_thumbnails(NO_CONTEXT, url=user.avatar, kinds=["avatar"]) == [
        user.avatar.replace("/media/", "/media/avatar/")
    ]
    with Image.open(stored(user.avatar.replace("/media/", "/media/avatar/"))) as small:
        assert small.size == (96, 96)
    assert (
        f'src="{user.avatar.replace("/media/", "/media/avatar/")}"'
        in (await alice.get("/@alice")).text
    )
    assert (await compose(alice, "With face", None)).status_code == 303
    home = (await alice.get("/")).text
    assert (
        f'<img class="avatar avatar--md" src="{user.avatar.replace("/media/", "/media/avatar/")}"'
        in home
    )


async def test_a_bad_avatar_is_refused_next_to_the_field(members: Members) -> None:
    alice = await members("alice")
    data = {"display_name": "Kept Name", "bio": "", "_csrf_token": await csrf_token(alice)}
    files = {"avatar": ("me.png", b"GIF89a but not really", "image/png")}
    response = await failure_page(
        alice, await alice.post("/settings/profile", data=data, files=files)
    )
    assert response.status_code == 422
    assert f'id="error-avatar">{media.NOT_AN_IMAGE}</p>' in response.text
    assert 'value="Kept Name"' in response.text
    user = await User.objects().where(User.username == "alice").first()
    assert user is not None and user.avatar is None and user.display_name == "Alice"


async def test_the_profile_form_without_an_avatar_keeps_working(members: Members) -> None:
    alice = await members("alice")
    data = {"display_name": "New Name", "bio": "b", "_csrf_token": await csrf_token(alice)}
    response = await alice.post("/settings/profile", data=data, files={"avatar": ("", b"")})
    assert response.status_code == 303, response.text
    user = await User.objects().where(User.username == "alice").first()
    assert user is not None and user.display_name == "New Name" and user.avatar is None


async def test_media_are_served_with_long_cache_and_nosniff(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    image = png(20, 10)
    assert (await compose(alice, "Served", image, "Small")).status_code == 303
    post = await Post.objects().first()
    assert post is not None and post.image is not None

    response = await client.get(post.image)  # a visitor, no cookies
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    cache = response.headers["cache-control"]
    assert "max-age=31536000" in cache and "immutable" in cache
    assert response.content == stored(post.image).read_bytes()
    assert (await client.get("/media/../pyproject.toml")).status_code == 404
    assert (await client.get("/media/missing.png")).status_code == 404


async def test_the_compose_and_profile_forms_are_multipart(members: Members) -> None:
    alice = await members("alice")
    home = (await alice.get("/")).text
    composer = r'action="/posts" class="compose stack[^"]*" enctype="multipart/form-data"'
    assert re.search(composer, home)
    assert '<label for="field-image">Image (optional)</label>' in home
    assert '<label for="field-image_alt">Image description</label>' in home
    edit = (await alice.get("/settings/profile")).text
    assert 'enctype="multipart/form-data"' in edit
    assert '<label for="field-avatar">Avatar</label>' in edit


async def test_an_animated_gif_stays_animated_and_its_thumbnail_is_a_still(
    members: Members,
) -> None:
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "lime", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    alice = await members("alice")
    response = await compose(alice, "Blink", out.getvalue(), "Three colours", filename="b.gif")
    assert response.status_code == 303, response.text
    post = await Post.objects().first()
    assert post is not None and post.image is not None and post.image.endswith("-40x30.gif")
    with Image.open(stored(post.image)) as saved:
        assert isinstance(saved, GifImagePlugin.GifImageFile) and saved.n_frames == 3
    [thumbnail] = await make_thumbnails(NO_CONTEXT, url=post.image, kinds=["feed"])
    with Image.open(stored(thumbnail)) as still:
        assert (still.format, still.size, getattr(still, "n_frames", 1)) == ("GIF", (40, 30), 1)


async def test_the_thumbnail_job_does_nothing_for_a_missing_or_foreign_image() -> None:
    missing = f"/media/{'0' * 64}-10x10.png"
    assert await make_thumbnails(NO_CONTEXT, url=missing, kinds=["feed", "avatar"]) == []
    assert await make_thumbnails(NO_CONTEXT, url="https://example.org/a.png", kinds=["feed"]) == []
