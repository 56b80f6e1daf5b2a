"""Scopes: what an app may do. Mastodon's names, with the broad ones (`read`, `write`,
`follow`) standing for their granular scopes."""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.oauth.errors import OAuthError

READ_SCOPES = (
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
)
WRITE_SCOPES = (
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
)
# What each umbrella scope grants besides itself (Mastodon's legacy `follow` included).
SCOPE_GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset(READ_SCOPES),
    "write": frozenset(WRITE_SCOPES),
    "follow": frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks",
                         "read:mutes", "write:mutes"}),
}  # fmt: skip
# `push` is accepted (Mastodon.py asks for it by default) although Agora has no Web Push.
KNOWN_SCOPES = frozenset({"read", "write", "follow", "push", "profile", *READ_SCOPES,
                          *WRITE_SCOPES})  # fmt: skip
DEFAULT_SCOPE = "read"


def parse_scopes(text: str | None) -> frozenset[str]:
    """The scopes in a space-separated list (Mastodon also accepts `+` and commas)."""
    words = [word for word in re.split(r"[\s+,]+", text or "") if word]
    if not words:
        return frozenset({DEFAULT_SCOPE})
    unknown = [word for word in words if word not in KNOWN_SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope: {', '.join(unknown)}.")
    return frozenset(words)


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes together with everything their umbrella scopes grant."""
    expanded = set(scopes)
    for scope in list(expanded):
        expanded |= SCOPE_GRANTS.get(scope, frozenset())
    return frozenset(expanded)


def allows(granted: Iterable[str], needed: Iterable[str]) -> bool:
    """Whether the granted scopes cover any one of the `needed` alternatives."""
    have = expand(granted)
    return any(scope in have for scope in needed)


def format_scopes(scopes: Iterable[str]) -> str:
    # A stable order, umbrella scopes first, so the same set always reads the same.
    order = ["read", "write", "follow", "push", "profile"]
    return " ".join(sorted(scopes, key=lambda s: (order.index(s) if s in order else 9, s)))
