"""Who may see a post: the one rule, as a SQL condition every statement that shows a post, or
anything about one, applies (feeds, timelines and their fan-out, search, notifications, the
actions on a post).

Mastodon's four visibilities, with Mastodon's meanings:

- `public`: everyone, everywhere;
- `unlisted`: everyone who looks (the profile, the permalink, followers' home feeds), but not
  in the listings (Explore, tag pages, search, the public API timelines): see `LISTED`;
- `private` (followers only): the author, the author's followers and the accounts it mentions;
- `direct`: the author and the accounts it mentions.

The rule lives here, in domain.core, rather than beside the Post table in domain.posts,
because domain.timelines (below posts) needs it too, to fan a post out only to the readers
allowed to see it and to rebuild a home timeline without what its reader may not see. Like
the rest of the SQL in the domain it names the tables (`post`, `follow`) only in SQL.
Blocks apply on top of it (domain.social).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from piccolo.querystring import QueryString

from domain.core.errors import ValidationFailed
from domain.core.sql import sql

Visibility = Literal["public", "unlisted", "private", "direct"]
# Widest first: a reply may be as wide as what it answers, never wider.
VISIBILITIES: Final[tuple[Visibility, ...]] = get_args(Visibility)
# How pages name each one (the post's badge, the composer's choices).
LABELS: Final[dict[Visibility, str]] = {
    "public": "Public",
    "unlisted": "Unlisted",
    "private": "Followers only",
    "direct": "Mentioned people only",
}

# What anyone, signed in or not, may see; the other branches need a viewer.
_OPEN = QueryString("p.visibility IN ('public', 'unlisted')")
# A viewer's own posts, the posts that mention them, and followers-only posts of the
# accounts they follow. Written with ORs over one row, so the follow look-up (one probe of
# the (follower, followed) index) runs only for the followers-only posts that need it.
_SEEN_BY = """(
    p.visibility IN ('public', 'unlisted')
    OR p.author = {viewer}
    OR {viewer} = ANY(p.mentions)
    OR (p.visibility = 'private' AND EXISTS (
        SELECT 1 FROM follow vf WHERE vf.follower = {viewer} AND vf.followed = p.author))
)"""

LISTED: Final = QueryString("p.visibility = 'public'")
"""A condition on post `p`: it belongs in the listings (Explore, tags, search, the public API
timelines). Listings apply it on top of `visible_to`, which stays the rule."""


def visible_to(viewer: int | QueryString | None) -> QueryString:
    """A condition on post `p` (a row of `post` aliased `p`) true when `viewer` may see it:
    a member's id, a SQL expression naming the reader row by row (a fan-out's `f.follower`),
    or None for a visitor who is not signed in."""
    if viewer is None:
        return _OPEN
    return sql(_SEEN_BY, viewer=viewer)


def parse_visibility(value: str) -> Visibility:
    """The visibility named by `value` (exactly one of VISIBILITIES); ValueError otherwise."""
    for known in VISIBILITIES:
        if value == known:
            return known
    raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")


def chosen_visibility(value: str, field: str = "visibility") -> Visibility:
    """The visibility a form or request names; ValidationFailed keyed by `field` otherwise."""
    try:
        return parse_visibility(value)
    except ValueError as error:
        raise ValidationFailed(
            {field: f"Visibility must be one of: {', '.join(VISIBILITIES)}."}
        ) from error


def is_wider(one: Visibility, than: Visibility) -> bool:
    """Whether `one` shows a post to more people than `than` does."""
    return VISIBILITIES.index(one) < VISIBILITIES.index(than)
