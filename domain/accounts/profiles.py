"""Saving a profile: display name, bio and, when one is sent, a new avatar."""

from __future__ import annotations

import asyncio

from domain import media
from domain.accounts.tables import User
from domain.accounts.users import MAX_BIO_LENGTH, display_name_problem
from domain.core import outbox
from domain.core.errors import ValidationFailed


def _profile_problems(display_name: str, bio: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := display_name_problem(display_name):
        errors["display_name"] = problem
    if len(bio) > MAX_BIO_LENGTH:
        errors["bio"] = f"Bio must be at most {MAX_BIO_LENGTH} characters."
    return errors


async def save_profile(
    user: User, display_name: str, bio: str, avatar: bytes | None = None
) -> User:
    """Save the profile (an empty display name falls back to the username) and, with
    `avatar` bytes, the new avatar, cropped square. Used by the settings page and the API's
    update_credentials alike.

    Raises ValidationFailed naming each bad field (`display_name`, `bio`, `avatar`), or
    media.ImageTooLarge when the avatar file is over the upload limit; nothing is saved then.
    """
    image = None
    if avatar is not None:
        image = await media.verify_upload(avatar, "avatar", media.AVATAR_SIZE)
    display_name = display_name.strip() or user.username
    bio = bio.strip()
    if errors := _profile_problems(display_name, bio):
        raise ValidationFailed(errors)
    async with outbox.transaction():
        user.display_name = display_name
        user.bio = bio
        columns = [User.display_name, User.bio]
        if image is not None:
            user.avatar = await asyncio.to_thread(media.save, image)
            columns.append(User.avatar)
            await outbox.record(outbox.Job.MAKE_THUMBNAILS, url=user.avatar, kinds=["avatar"])
        await user.save(columns)
    return user
