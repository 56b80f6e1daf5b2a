"""Follow requests: the owner of a locked account ("Approve new followers", `User.locked`,
Mastodon's `locked`) chooses who follows them, accepting or rejecting each request.

Requests have their own table, `follow_request`, never rows of `follow`, so nothing that
reads follows (home timelines, follower lists and counts, who may see a post) can take a
pending request for a follow. `follows.follow` makes the request when the account is locked,
in the statement that would otherwise follow, so an unlocked account is never asked;
`follows.unfollow` withdraws it, and blocking, either way, removes it through `unfollow`.
Accepting makes the follow through the follow path itself (`follows.follow_on_request`:
counters, the requester's home timeline, a `follow` notification, as Mastodon does);
rejecting removes the request and tells nobody. The owner's `follow_request` notification
goes with its request (ON DELETE CASCADE). Turning "Approve new followers" off accepts every
waiting request.
"""

from __future__ import annotations

from contextlib import suppress

from piccolo.querystring import QueryString

from domain.accounts import User, visible_user
from domain.core.errors import NotFound
from domain.core.sql import fetch, sql
from domain.social.follows import REQUEST_MISSING, follow_on_request
from domain.social.people import ACCOUNT_LISTS, AccountPage, accounts_page
from domain.social.tables import FollowRequest

PAGE_SIZE = 40


async def _requester(requester_id: int) -> int:
    """The requester's id; NotFound when the account is missing or suspended (its requests
    are hidden, as its notifications are)."""
    if await visible_user(requester_id) is None:
        raise NotFound(REQUEST_MISSING)
    return requester_id


async def accept_request(owner: User, requester_id: int) -> None:
    """Accept a waiting request: the requester now follows the owner. Raises
    NotFound(REQUEST_MISSING) when none waits (never made, withdrawn, already answered,
    removed by a block) or the requester is suspended."""
    await follow_on_request(await _requester(requester_id), owner.id)


async def reject_request(owner: User, requester_id: int) -> None:
    """Reject a waiting request: it goes, and the requester is not told. Raises
    NotFound(REQUEST_MISSING) as `accept_request` does."""
    gone = (
        await FollowRequest.delete()
        .where(
            (FollowRequest.follower == await _requester(requester_id))
            & (FollowRequest.followed == owner.id)
        )
        .returning(FollowRequest.id)
    )
    if not gone:
        raise NotFound(REQUEST_MISSING)


async def requests_waiting(
    owner_id: int, limit: int = PAGE_SIZE, before_id: int | None = None
) -> AccountPage:
    """Who asks to follow the owner, newest request first, paged by the request's id
    (`before_id`); suspended askers are left out."""
    return await accounts_page("requests", owner_id, limit, before_id, owner_id)


def requests_waiting_query(owner_id: int) -> QueryString:
    """The statement counting the requests that wait for the owner's answer (one row,
    `waiting`; suspended askers' left out)."""
    return sql(
        "SELECT count(*) AS waiting FROM ({requests}) pairs",
        requests=sql(ACCOUNT_LISTS["requests"], user=owner_id),
    )


async def count_requests_waiting(owner_id: int) -> int:
    """How many requests wait for the owner's answer (`requests_waiting_query`)."""
    rows = await fetch(requests_waiting_query(owner_id))
    count: int = rows[0]["waiting"]
    return count


async def set_locked(user: User, locked: bool) -> None:
    """Turn "Approve new followers" on or off. Turning it off accepts every waiting request,
    as Mastodon does (doing so again finishes what a failure interrupted); `user` is then
    read again, for its new followers count.

    The flag is committed first: a follow racing with it either committed its request before
    (and is accepted here) or, waiting for the owner's row, sees the account unlocked and
    follows."""
    await User.update({User.locked: locked}).where(User.id == user.id)
    user.locked = locked
    if locked:
        return
    asking = await FollowRequest.select(FollowRequest.follower).where(
        FollowRequest.followed == user.id
    )
    for row in asking:
        with suppress(NotFound):  # withdrawn meanwhile
            await follow_on_request(row["follower"], user.id)
    if asking:
        await user.refresh()  # its followers count grew
