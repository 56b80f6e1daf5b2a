"""Saving a profile: display name, bio, profile fields, the bot flag and, when sent, a new
avatar or header image. The one path for the settings page and the API's update_credentials.
Beside it, saving the member's colour theme (`save_theme`).

Profile fields are Mastodon's: up to four name/value pairs of plain text. A value that is just
an http(s) address is shown as a link; Agora does not verify links (`verified_at` is null).
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass

from domain import media
from domain.accounts.tables import THEMES, User
from domain.accounts.users import MAX_BIO_LENGTH, display_name_problem
from domain.core import outbox
from domain.core.errors import ValidationFailed

MAX_PROFILE_FIELDS = 4
MAX_FIELD_NAME_LENGTH = 255
MAX_FIELD_VALUE_LENGTH = 255
_LINK = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
# A field's link is the member's own claim about themselves, not checked by Agora.
LINK_REL = "nofollow noopener ugc me"


@dataclass(frozen=True)
class ProfileField:
    """One name/value pair of a profile, both plain text."""

    name: str
    value: str

    @property
    def link(self) -> str | None:
        """The value when it is nothing but an http(s) address, else None."""
        value = self.value.strip()
        return value if _LINK.fullmatch(value) else None

    @property
    def value_html(self) -> str:
        """The value as safe HTML: escaped text, or a link when it is an address."""
        escaped = html.escape(self.value, quote=True)
        if self.link is None:
            return escaped
        return f'<a href="{escaped}" rel="{LINK_REL}" target="_blank">{escaped}</a>'


def profile_fields(user: User) -> list[ProfileField]:
    """The member's profile fields, in order."""
    return [ProfileField(n, v) for n, v in zip(user.field_names, user.field_values, strict=True)]


def _fields_problem(fields: list[ProfileField]) -> str | None:
    if len(fields) > MAX_PROFILE_FIELDS:
        return f"A profile has at most {MAX_PROFILE_FIELDS} fields."
    for number, item in enumerate(fields, start=1):
        if not item.name:
            return f"Field {number} needs a name."
        if len(item.name) > MAX_FIELD_NAME_LENGTH:
            return f"Field {number}'s name must be at most {MAX_FIELD_NAME_LENGTH} characters."
        if len(item.value) > MAX_FIELD_VALUE_LENGTH:
            return f"Field {number}'s value must be at most {MAX_FIELD_VALUE_LENGTH} characters."
    return None


def _profile_problems(
    display_name: str, bio: str, fields: list[ProfileField] | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := display_name_problem(display_name):
        errors["display_name"] = problem
    if len(bio) > MAX_BIO_LENGTH:
        errors["bio"] = f"Bio must be at most {MAX_BIO_LENGTH} characters."
    if fields is not None and (problem := _fields_problem(fields)):
        errors["fields"] = problem
    return errors


def _cleaned(fields: list[ProfileField] | None) -> list[ProfileField] | None:
    # As in Mastodon, a pair left entirely empty is no field: forms send all four rows.
    if fields is None:
        return None
    stripped = [ProfileField(f.name.strip(), f.value.strip()) for f in fields]
    return [f for f in stripped if f.name or f.value]


async def save_profile(
    user: User,
    display_name: str,
    bio: str,
    avatar: bytes | None = None,
    *,
    header: bytes | None = None,
    fields: list[ProfileField] | None = None,
    bot: bool | None = None,
) -> User:
    """Save the profile (an empty display name falls back to the username). With bytes,
    `avatar` becomes the new avatar, cropped square, and `header` the new header image;
    `fields` (a list) replaces the profile fields and `bot` sets the "Automated account"
    flag. Whatever is None stays as it is.

    Raises ValidationFailed naming each bad field (`display_name`, `bio`, `fields`, `avatar`,
    `header`), or media.ImageTooLarge when an image is over the upload limit; nothing is
    saved then.
    """
    images: dict[str, media.CleanImage] = {}
    for name, data, square in (("avatar", avatar, media.AVATAR_SIZE), ("header", header, None)):
        if data is not None:
            images[name] = await media.verify_upload(data, name, square)
    display_name = display_name.strip() or user.username
    bio = bio.strip()
    fields = _cleaned(fields)
    if errors := _profile_problems(display_name, bio, fields):
        raise ValidationFailed(errors)
    async with outbox.transaction():
        user.display_name = display_name
        user.bio = bio
        columns = [User.display_name, User.bio]
        if fields is not None:
            user.field_names = [f.name for f in fields]
            user.field_values = [f.value for f in fields]
            columns += [User.field_names, User.field_values]
        if bot is not None:
            user.bot = bot
            columns.append(User.bot)
        if "avatar" in images:
            user.avatar = await asyncio.to_thread(media.save, images["avatar"])
            columns.append(User.avatar)
            await outbox.record(outbox.Job.MAKE_THUMBNAILS, url=user.avatar, kinds=["avatar"])
        if "header" in images:
            user.header = await asyncio.to_thread(media.save, images["header"])
            columns.append(User.header)
        await user.save(columns)
    return user


async def save_theme(user: User, theme: str) -> User:
    """Save the colour theme every page is shown in: one of THEMES ("auto" follows the
    device's light or dark preference). Raises ValidationFailed on `theme` for anything else.
    """
    if theme not in THEMES:
        raise ValidationFailed({"theme": "Choose a theme: follow the device, light or dark."})
    user.theme = theme
    await user.save([User.theme])
    return user
