"""Placeholder avatars: initials on a colour of the person's own, for people without a picture."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import regex

# How many colours the stylesheet defines as `.avatar--hue-<n>` (static/css/people.css).
AVATAR_HUES = 12

# A word's first grapheme that starts with a letter, digit, emoji or flag (a letter with its
# accents, a whole emoji sequence): the punctuation a name may open with, "(" or "“", is skipped.
_FIRST_GRAPHEME = regex.compile(
    r"(?=[\p{L}\p{N}\p{Extended_Pictographic}\p{Regional_Indicator}])\X"
)


# Feed pages draw the same few dozen people over and over; the grapheme search is the cost.
_REMEMBERED = 4096


@lru_cache(maxsize=_REMEMBERED)
def avatar_hue(username: str) -> int:
    """A stable colour index in `0 .. AVATAR_HUES - 1` for a username (same name, same colour,
    whatever its case), so a person keeps their colour on every page and every visit."""
    digest = hashlib.blake2s(username.casefold().encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % AVATAR_HUES


def _first_grapheme(word: str) -> str:
    match = _FIRST_GRAPHEME.search(word)
    if match is None:
        return ""
    grapheme: str = match.group(0)
    upper = grapheme.upper()
    # Some capitals are two letters ("ß" -> "SS"); keep the letter as written then.
    return upper if len(upper) == len(grapheme) else grapheme


@lru_cache(maxsize=_REMEMBERED)
def initials(name: str, fallback: str = "") -> str:
    """Up to two initials: the first grapheme of the first two words ("Ada Lovelace" -> "AL",
    "🎉 party" -> "🎉P"), in capitals.

    Graphemes, not code points, so an emoji, a flag or an accented letter is never cut in
    half. Words of punctuation only are skipped; a name with no letters at all takes the
    initials of `fallback` (the username), and "?" when that has none either.
    """
    letters = [grapheme for word in name.split() if (grapheme := _first_grapheme(word))]
    if letters:
        return "".join(letters[:2])
    return initials(fallback) if fallback else "?"
