"""Images uploaded through the API ahead of the post that carries them (Mastodon's media).

Mastodon clients upload an image first, may describe it afterwards, then post a status that
names it. The rules are the web form's: the file passes the same checks (domain.media),
a post has at most one image, and an image needs a description for people who cannot see it.
An upload goes into one post at most; one that no post took within a day is removed.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns import Column

from domain import media
from domain.accounts import User
from domain.core import outbox
from domain.core.errors import NotFound, ValidationFailed
from domain.core.numbers import SERIAL, MalformedNumber, parse_number
from domain.posts.tables import MediaUpload, Post

MAX_IMAGES_PER_POST = 1
UNUSED_LIFETIME = timedelta(days=1)
CLEAN_UP_BATCH = 500
NOT_FOUND = "Record not found"
ALREADY_POSTED = "This image is already in a post; its description and focus can no longer change."


@dataclass(frozen=True)
class Focus:
    """Mastodon's focal point of an image: x from -1 (left) to 1 (right), y from -1 (bottom)
    to 1 (top); 0,0 is the centre."""

    x: float
    y: float

    @classmethod
    def parse(cls, raw: str) -> Focus:
        """From Mastodon's "x,y"; ValidationFailed naming `focus` for anything else."""
        try:
            x, y = (float(part) for part in raw.split(","))
        except ValueError:  # not exactly two numbers
            x = y = math.nan
        # NaN fails both comparisons, and so is refused with the rest.
        if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
            raise ValidationFailed(
                {"focus": "focus must be two numbers from -1 to 1, as x,y (for example 0.5,-0.2)"}
            )
        return cls(x, y)


def _upload_id(raw: str) -> int | None:
    """The upload's id by the one number rule; None for anything that cannot be one."""
    try:
        return parse_number(raw, "id", SERIAL)
    except MalformedNumber:
        return None


def _description_problem(description: str) -> str | None:
    # Optional until the image is posted: clients often describe it after uploading.
    return media.alt_problem(description) if description.strip() else None


async def upload(
    owner: User, data: bytes | None, description: str = "", focus: Focus | None = None
) -> MediaUpload:
    """Check and store an uploaded image for a later post, with its description and focal
    point; its feed thumbnail is made at once so that clients can show a preview while the
    person writes."""
    errors: dict[str, str] = {}
    if problem := _description_problem(description):
        errors["description"] = problem
    if data is None:
        raise ValidationFailed({"file": "Choose an image to upload.", **errors})
    image = await media.verify_alongside(data, "file", errors)
    url = await asyncio.to_thread(media.save, image)
    row = MediaUpload(owner=owner.id, image=url, description=description.strip())
    if focus is not None:
        row.focus_x, row.focus_y = focus.x, focus.y
    async with outbox.transaction():
        await row.save()
        await outbox.record(outbox.Job.MAKE_THUMBNAILS, url=url, kinds=["feed"])
    return row


async def get_upload(owner: User, upload_id: str) -> MediaUpload:
    """One of the owner's uploads, posted or not; anybody else's does not exist for them."""
    number = _upload_id(upload_id)
    row: MediaUpload | None = (
        None
        if number is None
        else await MediaUpload.objects()
        .where((MediaUpload.id == number) & (MediaUpload.owner == owner.id))
        .first()
    )
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def update_upload(
    owner: User, upload_id: str, description: str | None = None, focus: Focus | None = None
) -> MediaUpload:
    """Change the description and/or the focal point of an upload not yet posted (a post's
    image stays as posted, like its text); what is None stays as it is."""
    row = await get_upload(owner, upload_id)
    changes: dict[Column | str, Any] = {}
    if description is not None:
        if problem := _description_problem(description):
            raise ValidationFailed({"description": problem})
        changes[MediaUpload.description] = row.description = description.strip()
    if focus is not None:
        changes[MediaUpload.focus_x], changes[MediaUpload.focus_y] = focus.x, focus.y
        row.focus_x, row.focus_y = focus.x, focus.y
    if not changes:
        return row
    changed = (
        await MediaUpload.update(changes)
        .where((MediaUpload.id == row.id) & MediaUpload.post.is_null())
        .returning(MediaUpload.id)
    )
    if not changed:
        raise ValidationFailed({"description": ALREADY_POSTED})
    return row


async def _claimable(author: User, upload_id: str) -> MediaUpload | None:
    """The author's unposted upload, locked until the transaction ends, so that two posts
    cannot both take it and the clean-up cannot remove it meanwhile."""
    number = _upload_id(upload_id)
    if number is None:
        return None
    row: MediaUpload | None = (
        await MediaUpload.objects()
        .where(
            (MediaUpload.id == number)
            & (MediaUpload.owner == author.id)
            & MediaUpload.post.is_null()
        )
        .lock_rows("UPDATE")
        .first()
    )
    return row


async def claim(author: User, upload_ids: list[str], errors: dict[str, str]) -> MediaUpload | None:
    """Take the author's upload named in `upload_ids` for the post being written, inside its
    transaction; adds what is wrong to `errors` (`media_ids`, `description`) instead."""
    if len(upload_ids) > MAX_IMAGES_PER_POST:
        errors["media_ids"] = "Agora allows one image per post."
        return None
    row = await _claimable(author, upload_ids[0])
    if row is None:
        errors["media_ids"] = (
            f"Media {upload_ids[0]} is not an image you uploaded and have not posted yet."
        )
    elif not row.description.strip():
        errors["description"] = (
            "Describe the image for people who cannot see it: set the upload's "
            f"description (PUT /api/v1/media/{row.id}) before posting it."
        )
    return row


async def mark_posted(row: MediaUpload, post_id: int) -> None:
    """Record that the post took the upload, in the post's transaction."""
    await MediaUpload.update({MediaUpload.post: post_id}).where(MediaUpload.id == row.id)


# ---------------------------------------------------------------- clean-up


async def _urls_in_use(urls: list[str], leaving: list[int]) -> set[str]:
    """Which of these images a post, an avatar, a header or another upload still shows (files
    are named by content, so different uploads and posts may share one)."""
    found: list[dict[str, Any]] = [
        *await Post.select(Post.image.as_alias("url")).where(Post.image.is_in(urls)),
        *await User.select(User.avatar.as_alias("url")).where(User.avatar.is_in(urls)),
        *await User.select(User.header.as_alias("url")).where(User.header.is_in(urls)),
        *await MediaUpload.select(MediaUpload.image.as_alias("url")).where(
            MediaUpload.image.is_in(urls) & MediaUpload.id.not_in(leaving)
        ),
    ]
    return {row["url"] for row in found}


async def remove_unused_uploads(now: datetime | None = None) -> int:
    """Remove the uploads no post took within a day, with their files when nothing else shows
    them; returns how many were removed. Idempotent: the rows go in the transaction that
    deletes their files, and a file already gone counts as deleted, so a retry after a crash
    finishes the work."""
    cutoff = (now or datetime.now(UTC)) - UNUSED_LIFETIME
    removed = 0
    while True:
        async with MediaUpload._meta.db.transaction():
            # Locked, so a post cannot take one of them while its file is being deleted; rows
            # a post is taking right now are skipped (and are not unused).
            stale = await (
                MediaUpload.select(MediaUpload.id, MediaUpload.image)
                .where(MediaUpload.post.is_null() & (MediaUpload.created_at < cutoff))
                .limit(CLEAN_UP_BATCH)
                .lock_rows("UPDATE", skip_locked=True)
            )
            if not stale:
                return removed
            ids = [row["id"] for row in stale]
            urls = sorted({row["image"] for row in stale})
            in_use = await _urls_in_use(urls, ids)
            for url in urls:
                if url not in in_use:
                    await asyncio.to_thread(media.remove_unused, url, cutoff.timestamp())
            await MediaUpload.delete().where(MediaUpload.id.is_in(ids))
        removed += len(stale)
        if len(stale) < CLEAN_UP_BATCH:
            return removed
