"""Images through the Mastodon API: uploading (/api/v2/media, /api/v1/media), describing,
posting a status with one, the attachment on statuses everywhere, the refusals, and the
clean-up of uploads no post took."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from httpx import AsyncClient, Response
from PIL import Image

from domain import media, posts
from domain.accounts import User
from domain.core.settings import get_settings
from domain.posts import Comment, MediaUpload, Post
from tasks.housekeeping import remove_unused_uploads
from tasks.media_jobs import make_thumbnails
from tests.api.helpers import Caller, caller, token_for
from tests.helpers import NO_CONTEXT
from tests.test_media import compose

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
BASE = "http://agora.test"


def picture(width: int = 800, height: int = 600, color: str = "red", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def stored(url: str) -> Path:
    return Path(get_settings().media_dir) / url.removeprefix(f"{BASE}/media/")


async def upload(
    who: Caller,
    data: bytes,
    description: str | None = None,
    endpoint: str = "/api/v2/media",
    file_type: tuple[str, str] = ("photo.png", "image/png"),
) -> Response:
    fields = {} if description is None else {"description": description}
    return await who.post(endpoint, data=fields, files={"file": (file_type[0], data, file_type[1])})


async def uploaded(who: Caller, data: bytes | None = None, description: str | None = None) -> str:
    response = await upload(who, data or picture(), description)
    assert response.status_code == 200, response.text
    media_id: str = response.json()["id"]
    return media_id


async def post_with(who: Caller, media_ids: list[str], text: str = "Look") -> Response:
    return await who.post("/api/v1/statuses", data={"status": text, "media_ids[]": media_ids})


def error(response: Response) -> str:
    message: str = response.json()["error"]
    return message


async def test_upload_describe_post_and_see_the_image_everywhere(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    await bob.post(f"/api/v1/accounts/{alice.user.id}/follow")

    response = await upload(alice, picture(800, 600))
    assert response.status_code == 200, response.text
    attachment = response.json()
    assert attachment["id"].isdigit() and attachment["type"] == "image"
    assert attachment["url"].startswith(f"{BASE}/media/") and attachment["url"].endswith(
        "-800x600.png"
    )
    assert attachment["preview_url"] == attachment["url"]  # no thumbnail yet
    assert attachment["remote_url"] is None and attachment["blurhash"] is None
    assert attachment["description"] is None
    assert attachment["meta"] == {
        "original": {"width": 800, "height": 600, "size": "800x600", "aspect": 800 / 600}
    }
    served = await client.get(attachment["url"])
    assert served.status_code == 200 and served.content == stored(attachment["url"]).read_bytes()

    media_id = attachment["id"]
    assert (await alice.get(f"/api/v1/media/{media_id}")).json() == attachment
    described = await client.put(
        f"/api/v1/media/{media_id}", data={"description": " A red field "}, headers=alice.headers
    )
    assert described.status_code == 200 and described.json()["description"] == "A red field"

    posted = await post_with(alice, [media_id], "My picture")
    assert posted.status_code == 200, posted.text
    status = posted.json()
    [shown] = status["media_attachments"]
    assert shown["id"] == f"p{status['id']}"
    assert (shown["url"], shown["description"]) == (attachment["url"], "A red field")
    assert shown["meta"] == attachment["meta"]

    home = (await bob.get("/api/v1/timelines/home")).json()
    public = (await client.get("/api/v1/timelines/public")).json()
    single = (await client.get(f"/api/v1/statuses/{status['id']}")).json()
    for seen in (home[0], public[0], single):
        assert seen["id"] == status["id"] and seen["media_attachments"] == [shown]
    for url in (shown["url"], shown["preview_url"]):
        assert (await client.get(url)).status_code == 200
    await alice.status("Only words")
    only_media = await client.get("/api/v1/timelines/public", params={"only_media": "true"})
    assert [seen["id"] for seen in only_media.json()] == [status["id"]]
    of_alice = await client.get(
        f"/api/v1/accounts/{alice.user.id}/statuses", params={"only_media": "true"}
    )
    assert [seen["id"] for seen in of_alice.json()] == [status["id"]]

    row = await MediaUpload.objects().first()
    assert row is not None and row.post == int(status["id"])
    post = await Post.objects().where(Post.id == int(status["id"])).first()
    assert post is not None and (BASE + post.image, post.image_alt) == (
        shown["url"],
        shown["description"],
    )


async def test_v1_upload_with_a_description_and_a_json_status(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    response = await upload(
        alice,
        picture(64, 48, "blue", "JPEG"),
        "A blue square",
        endpoint="/api/v1/media",
        file_type=("photo.jpg", "image/jpeg"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["url"].endswith("-64x48.jpg")
    assert response.json()["description"] == "A blue square"
    posted = await alice.post(
        "/api/v1/statuses", json={"status": "Blue", "media_ids": [response.json()["id"]]}
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["media_attachments"][0]["description"] == "A blue square"


async def test_the_thumbnail_becomes_the_preview(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    status = (
        await post_with(alice, [await uploaded(alice, picture(1280, 960, "purple"), "Wide")])
    ).json()
    [before] = status["media_attachments"]
    made = await make_thumbnails(NO_CONTEXT, url=before["url"].removeprefix(BASE), kinds=["feed"])
    assert made == [before["url"].removeprefix(BASE).replace("/media/", "/media/feed/")]

    [after] = (await client.get(f"/api/v1/statuses/{status['id']}")).json()["media_attachments"]
    assert after["url"] == before["url"]
    assert after["preview_url"] == BASE + made[0]
    assert after["meta"]["small"] == {
        "width": 640,
        "height": 480,
        "size": "640x480",
        "aspect": 4 / 3,
    }
    preview = await client.get(after["preview_url"])
    assert preview.status_code == 200
    with Image.open(io.BytesIO(preview.content)) as small:
        assert small.size == (640, 480)


async def test_a_web_post_with_an_image_has_its_attachment_in_the_api(
    client: AsyncClient, members: Members
) -> None:
    web = await members("carol")
    assert (await compose(web, "From the site", picture(300, 200), "A red card")).status_code == 303
    carol = await User.objects().where(User.username == "carol").first()
    assert carol is not None
    reader = Caller(carol, await token_for(carol), client)

    [status] = (await reader.get(f"/api/v1/accounts/{carol.id}/statuses")).json()
    [attachment] = status["media_attachments"]
    assert attachment["id"] == f"p{status['id']}" and attachment["description"] == "A red card"
    assert attachment["meta"]["original"]["size"] == "300x200"
    assert (await client.get(attachment["url"])).status_code == 200
    # Statuses reached other ways carry it too: context, bookmarks, search.
    await reader.post(f"/api/v1/statuses/{status['id']}/bookmark")
    [bookmarked] = (await reader.get("/api/v1/bookmarks")).json()
    assert bookmarked["media_attachments"] == [attachment]
    reply = await reader.status("Nice", in_reply_to_id=status["id"])
    context = (await client.get(f"/api/v1/statuses/{reply['id']}/context")).json()
    assert context["ancestors"][0]["media_attachments"] == [attachment]
    assert reply["media_attachments"] == []


async def test_what_is_not_an_image_or_too_large_is_refused(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    text = await upload(alice, b"just some text, honest\n" * 20, file_type=("a.png", "image/png"))
    assert text.status_code == 422 and media.NOT_AN_IMAGE in error(text)
    too_big = await upload(alice, picture(10, 10) + b"\0" * get_settings().max_upload_bytes)
    assert too_big.status_code == 413 and "too large" in error(too_big)
    no_file = await alice.post("/api/v2/media", data={"description": "Nothing"})
    assert no_file.status_code == 422 and "Choose an image" in error(no_file)
    long = await upload(alice, picture(), "x" * (media.MAX_ALT_LENGTH + 1))
    assert long.status_code == 422 and "at most" in error(long)
    assert await MediaUpload.count() == 0


async def test_one_image_a_post_and_only_ones_own_unposted_uploads(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    first = await uploaded(alice, picture(color="red"), "Red")
    second = await uploaded(alice, picture(color="blue"), "Blue")
    two = await post_with(alice, [first, second])
    assert two.status_code == 422 and "one image per post" in error(two)

    bobs = await uploaded(bob, picture(color="green"), "Green")
    stolen = await post_with(alice, [bobs])
    assert stolen.status_code == 422 and f"Media {bobs} is not an image you uploaded" in error(
        stolen
    )
    assert (await alice.get(f"/api/v1/media/{bobs}")).status_code == 404
    put = await client.put(
        f"/api/v1/media/{bobs}", data={"description": "Mine"}, headers=alice.headers
    )
    assert put.status_code == 404
    for missing in ("999999", "abc", "99999999999999999999"):
        assert (await alice.get(f"/api/v1/media/{missing}")).status_code == 404
        assert (await post_with(alice, [missing])).status_code == 422
    assert await Post.count() == 0

    assert (await post_with(alice, [first])).status_code == 200
    again = await post_with(alice, [first], "Again")
    assert again.status_code == 422 and "not posted yet" in error(again)
    late = await client.put(
        f"/api/v1/media/{first}", data={"description": "New"}, headers=alice.headers
    )
    assert late.status_code == 422 and "already in a post" in error(late)
    assert (await alice.get(f"/api/v1/media/{first}")).json()["description"] == "Red"
    assert await Post.count() == 1


async def test_an_image_needs_a_description_and_the_post_needs_text(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    media_id = await uploaded(alice)
    undescribed = await post_with(alice, [media_id])
    assert undescribed.status_code == 422
    assert f"PUT /api/v1/media/{media_id}" in error(undescribed)
    await client.put(
        f"/api/v1/media/{media_id}", data={"description": "Red"}, headers=alice.headers
    )
    textless = await post_with(alice, [media_id], text="  ")
    assert textless.status_code == 422 and "even with an image" in error(textless)
    assert await Post.count() == 0
    row = await MediaUpload.objects().first()
    assert row is not None and row.post is None  # a refused post leaves the upload usable
    assert (await post_with(alice, [media_id], text="Now with words")).status_code == 200


async def test_replies_cannot_carry_images(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("A post")
    media_id = await uploaded(alice, description="Red")
    reply = await alice.post(
        "/api/v1/statuses",
        data={"status": "A reply", "in_reply_to_id": post["id"], "media_ids[]": [media_id]},
    )
    assert reply.status_code == 422 and "replies cannot have images" in error(reply)
    assert await Comment.count() == 0


async def test_scopes_and_tokens(client: AsyncClient) -> None:
    reader = await caller(client, "alice", scopes="read write:statuses")
    refused = await upload(reader, picture())
    assert refused.status_code == 403
    assert (
        await client.post("/api/v2/media", files={"file": ("a.png", picture())})
    ).status_code == 401
    narrow = await caller(client, "bob", scopes="write:media")
    media_id = await uploaded(narrow)
    assert (await narrow.get(f"/api/v1/media/{media_id}")).status_code == 200
    assert (await client.get(f"/api/v1/media/{media_id}")).status_code == 401
    assert await MediaUpload.count() == 1


async def test_instance_advertises_one_image_and_the_real_limits(client: AsyncClient) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance"):
        configuration = (await client.get(path)).json()["configuration"]
        assert configuration["statuses"]["max_media_attachments"] == 1
        limits = configuration["media_attachments"]
        assert limits["image_size_limit"] == get_settings().max_upload_bytes
        assert set(limits["supported_mime_types"]) == {
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
        }


async def _age(upload_id: str, days: int = 2) -> None:
    """Make an upload (and its file, which a fresh save would have touched) `days` old."""
    then = datetime.now(UTC) - timedelta(days=days)
    await MediaUpload.update({MediaUpload.created_at: then}).where(MediaUpload.id == int(upload_id))
    row = await MediaUpload.objects().where(MediaUpload.id == int(upload_id)).first()
    assert row is not None
    path = Path(get_settings().media_dir) / row.image.removeprefix("/media/")
    os.utime(path, (then.timestamp(), then.timestamp()))


async def test_unused_uploads_are_removed_after_a_day(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    abandoned = await uploaded(alice, picture(color="orange"), "Orange")
    abandoned_url = (await alice.get(f"/api/v1/media/{abandoned}")).json()["url"]
    await make_thumbnails(NO_CONTEXT, url=abandoned_url.removeprefix(BASE), kinds=["feed"])
    shared = await uploaded(alice, picture(color="blue"), "Blue")
    shared_url = (await alice.get(f"/api/v1/media/{shared}")).json()["url"]
    # The same picture posted from the web form: stored under the same name.
    same = posts.AttachedImage(picture(color="blue"), "Blue")
    assert (
        await posts.publish(alice.user, "Blue too", image=same)
    ).image == shared_url.removeprefix(BASE)
    posted = await uploaded(alice, picture(color="green"), "Green")
    assert (await post_with(alice, [posted])).status_code == 200
    fresh = await uploaded(alice, picture(color="white"), "White")
    for old in (abandoned, shared, posted):
        await _age(old)

    assert await remove_unused_uploads(NO_CONTEXT) == 2
    remaining = {str(row["id"]) for row in await MediaUpload.select(MediaUpload.id)}
    assert remaining == {posted, fresh}
    assert not stored(abandoned_url).exists()
    assert not stored(abandoned_url.replace("/media/", "/media/feed/")).exists()
    assert stored(shared_url).exists()  # a post shows the same picture
    assert await remove_unused_uploads(NO_CONTEXT) == 0  # nothing left to do: a rerun is harmless


async def test_a_picture_saved_again_meanwhile_keeps_its_file(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    old = await uploaded(alice, picture(color="red"), "Red")
    url = (await alice.get(f"/api/v1/media/{old}")).json()["url"]
    await _age(old)
    # Someone stores the same picture right now, before their row or post exists.
    media.save(media.clean(picture(color="red")))
    assert await posts.remove_unused_uploads() == 1
    assert stored(url).exists() and stored(url).stat().st_mtime > time.time() - 60


async def test_the_schema_describes_the_media_routes(client: AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/api/v2/media", "/api/v1/media", "/api/v1/media/{media_id}"} <= set(schema["paths"])
    body = schema["paths"]["/api/v2/media"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["required"] == ["file"]
    attachment = schema["components"]["schemas"]["MediaAttachment"]["properties"]
    assert {"id", "type", "url", "preview_url", "description", "meta"} <= set(attachment)
