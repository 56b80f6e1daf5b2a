"""A member's preferences for what they write: the visibility the composer starts from."""

from __future__ import annotations

from domain.accounts.tables import User
from domain.core.visibility import Visibility, chosen_visibility


async def set_default_visibility(user: User, value: str) -> Visibility:
    """Make `value` (public, unlisted, private or direct) the visibility the user's new posts
    start from, on the page's composer and through the API when a client does not say;
    returns it. ValidationFailed (key `default_visibility`) for any other value."""
    chosen = chosen_visibility(value, "default_visibility")
    await User.update({User.default_visibility: chosen}).where(User.id == user.id)
    user.default_visibility = chosen
    return chosen
