"""People as lists show them (followers, following, blocked accounts, search results): who they
are, with how the viewer stands with each, read in the statement that finds them rather than
one query per person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from domain.core.sql import fetch, sql

# The listed person is the statement's `agora_user u`; without a viewer the four are false
# (a comparison with NULL is never true).
_PERSON_COLUMNS = """
u.id, u.username, u.display_name, u.avatar, u.bio,
EXISTS (SELECT 1 FROM follow f WHERE f.follower = {viewer} AND f.followed = u.id) AS following,
EXISTS (SELECT 1 FROM follow_request r WHERE r.follower = {viewer} AND r.followed = u.id)
    AS requested,
EXISTS (SELECT 1 FROM block b WHERE b.blocker = {viewer} AND b.blocked = u.id) AS blocking,
EXISTS (SELECT 1 FROM block b WHERE b.blocker = u.id AND b.blocked = {viewer}) AS blocked_by
"""


@dataclass(frozen=True)
class AccountSummary:
    """A listed person, and how the viewer stands with them (all false for a visitor)."""

    id: int
    username: str
    display_name: str
    avatar: str | None  # the stored image's URL, None for the placeholder
    bio: str  # plain text, as written
    following: bool  # the viewer follows them
    requested: bool  # the viewer asks to follow them (a locked account)
    blocking: bool  # the viewer blocks them
    blocked_by: bool  # they block the viewer


def person_columns(viewer_id: int | None) -> QueryString:
    """The select list of an AccountSummary, for a statement naming the person `agora_user u`."""
    return sql(_PERSON_COLUMNS, viewer=viewer_id)


def account_summary(row: dict[str, Any]) -> AccountSummary:
    """The AccountSummary of a row selected with `person_columns`."""
    return AccountSummary(**{name: row[name] for name in AccountSummary.__dataclass_fields__})


@dataclass(frozen=True)
class AccountPage:
    accounts: list[AccountSummary]
    next_before: int | None  # pass back as `before_id` for the next page; None at the end


# Who is on the other side of each pair list, newest pair first, keyset-paged by the pair's id.
ACCOUNT_LISTS = {
    "followers": "SELECT id AS pair_id, follower AS member FROM follow WHERE followed = {user}",
    # Suspended members' requests wait unseen, as their notifications do, until reinstated.
    "requests": (
        "SELECT r.id AS pair_id, r.follower AS member FROM follow_request r"
        " JOIN agora_user asker ON asker.id = r.follower"
        " WHERE r.followed = {user} AND NOT asker.is_suspended"
    ),
    "following": "SELECT id AS pair_id, followed AS member FROM follow WHERE follower = {user}",
    "blocked": "SELECT id AS pair_id, blocked AS member FROM block WHERE blocker = {user}",
}
_ACCOUNT_PAGE = """
SELECT {person}, pairs.pair_id
FROM ({pairs}) pairs JOIN agora_user u ON u.id = pairs.member
WHERE ({before}::int IS NULL OR pairs.pair_id < {before})
ORDER BY pairs.pair_id DESC LIMIT {limit}
"""


async def accounts_page(
    which: str, user_id: int, limit: int, before_id: int | None, viewer_id: int | None
) -> AccountPage:
    """A page of one of the user's account lists (a key of ACCOUNT_LISTS), most recent first,
    with the viewer's relationship to each person: one statement."""
    rows = await fetch(
        sql(
            _ACCOUNT_PAGE,
            person=person_columns(viewer_id),
            pairs=sql(ACCOUNT_LISTS[which], user=user_id),
            before=before_id,
            limit=limit + 1,
        )
    )
    accounts = [account_summary(row) for row in rows[:limit]]
    return AccountPage(accounts, rows[limit - 1]["pair_id"] if len(rows) > limit else None)
