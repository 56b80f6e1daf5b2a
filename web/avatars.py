"""Placeholder avatars: initials on a colour of the person's own, for people without a picture."""

from __future__ import annotations

import hashlib

import regex

# How many colours the stylesheet defines as `.avatar--hue-<n>` (static/css/people.css).
AVATAR_HUES = 12

_GRAPHEME = regex.compile(r"\X")


def avatar_hue(username: str) -> int:
    """A stable colour index in `0 .. AVATAR_HUES - 1` for a username (same name, same colour)."""
    digest = hashlib.blake2s(username.casefold().encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % AVATAR_HUES


def initials(name: str) -> str:
    """Up to two initials: the first grapheme of the first two words ("Ada Lovelace" -> "AL").

    Graphemes, not code points, so an emoji or an accented letter is never cut in half.
    """
    words = [word for word in name.split() if word[:1].isalnum() or not word[:1].isascii()]
    firsts = [_GRAPHEME.match(word) for word in words[:2]]
    letters = "".join(match.group(0) for match in firsts if match)
    return letters.upper() or "?"
