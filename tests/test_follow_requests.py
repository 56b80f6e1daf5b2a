"""Locked accounts and follow requests through the pages (issue 13, item 4): the setting,
asking instead of following, the owner's list with Accept and Reject (with and without
htmx), the nav's count, notifications, and the rules: a pending request is never a follow,
unlocking accepts everyone waiting, blocks and suspensions, idempotence, bad ids."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient
from litestar import Litestar
from saq import Worker

from domain import accounts, notifications, social
from domain.accounts import User
from domain.notifications import Notification
from domain.social import Follow, FollowRequest
from tasks.queue import WorkerContext
from tests.helpers import (
    PASSWORD,
    htmx_headers,
    post_form,
    rendered_form,
    settled,
    spoken_link,
    write_post,
)

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def user(username: str) -> User:
    found = await accounts.find_user(username)
    assert found is not None
    return found


async def lock(client: AsyncClient) -> None:
    """Tick "Approve new followers" on /settings, as a person would."""
    url, fields = rendered_form((await client.get("/settings")).text, "/settings/followers")
    saved = await client.post(url, data={**fields, "locked": "on"})
    assert (saved.status_code, saved.headers["location"]) == (303, "/settings")


async def requests_count() -> int:
    count: int = await FollowRequest.count()
    return count


def nav_link(page: str) -> str | None:
    return spoken_link(page, "nav-follow-requests")


async def test_the_setting_locks_and_unlocks_the_account(members: Members) -> None:
    alice = await members("alice")
    page = (await alice.get("/settings")).text
    assert '<label for="locked">Approve new followers</label>' in page
    assert re.search(r'<input type="checkbox" id="locked" name="locked" value="on"[^>]*>', page)
    assert "checked" not in re.search(r'<input[^>]*id="locked"[^>]*>', page).group(0)  # type: ignore[union-attr]
    await lock(alice)
    assert (await user("alice")).locked is True
    ticked = re.search(r'<input[^>]*id="locked"[^>]*>', (await alice.get("/settings")).text)
    assert ticked is not None and "checked" in ticked.group(0)
    # The box left unticked (a browser sends nothing for it) turns it off.
    url, fields = rendered_form((await alice.get("/settings")).text, "/settings/followers")
    assert (await alice.post(url, data=fields)).status_code == 303
    assert (await user("alice")).locked is False
    # Anything but a ticked box is refused, saying so, and changes nothing.
    refused = await alice.post(url, data={**fields, "locked": "yes"})
    assert refused.status_code == 400 and "locked is a checkbox" in refused.text
    assert (await user("alice")).locked is False
    # Without the CSRF token nothing changes.
    refused = await alice.post("/settings/followers", data={"locked": "on"})
    assert refused.status_code == 403
    assert (await user("alice")).locked is False


async def test_following_a_locked_account_asks_and_is_never_a_follow(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await lock(alice)
    await write_post(alice, "only for followers to see at home")
    asked = await post_form(bob, "/@alice/follow?next=/@alice", {})
    assert (asked.status_code, asked.headers["location"]) == (303, "/@alice")
    profile = (await bob.get("/@alice")).text
    assert '<span class="follow-requested" id="follow-requested-' in profile
    assert ">Cancel request</button>" in profile and ">Unfollow</button>" not in profile
    assert 'action="/@alice/unfollow' in profile
    # Asking twice is one request; nothing of it counts as a follow anywhere.
    assert (await post_form(bob, "/@alice/follow", {})).status_code == 303
    assert await requests_count() == 1
    assert await Follow.count() == 0
    alice_row, bob_row = await user("alice"), await user("bob")
    assert (alice_row.followers_count, bob_row.following_count) == (0, 0)
    assert '<span class="username">@bob</span>' not in (await bob.get("/@alice/followers")).text
    assert '<span class="username">@alice</span>' not in (await bob.get("/@bob/following")).text
    assert "only for followers" not in (await bob.get("/")).text
    between = (await social.relationships(bob_row.id, [alice_row.id]))[alice_row.id]
    assert (between.following, between.requested) == (False, True)
    assert (await social.relationships(alice_row.id, [bob_row.id]))[bob_row.id].requested_by


async def test_the_owner_accepts_without_javascript_and_the_follow_is_real(
    members: Members,
) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await lock(alice)
    await write_post(alice, "hello followers")
    assert nav_link((await alice.get("/")).text) is None  # nobody waits yet
    await post_form(bob, "/@alice/follow", {})
    home = (await alice.get("/")).text
    assert nav_link(home) == "Follow requests, 1 waiting"
    assert nav_link((await bob.get("/")).text) is None
    page = (await alice.get("/follow_requests")).text
    assert "<h1>Follow requests</h1>" in page
    assert '<bdi class="display-name">Bob</bdi> <span class="username">@bob</span>' in page
    assert 'class="avatar avatar--md' in page
    assert ">Reject<span" in page
    url, fields = rendered_form(page, f"/follow_requests/{(await user('bob')).id}/authorize")
    accepted = await alice.post(url, data=fields)
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/follow_requests")
    assert await requests_count() == 0
    assert await Follow.count() == 1
    assert (await user("alice")).followers_count == 1
    assert "hello followers" in (await bob.get("/")).text  # the home timeline, filled
    assert ">Unfollow</button>" in (await bob.get("/@alice")).text
    listed = (await alice.get("/follow_requests")).text
    assert "Nobody is waiting for your answer." in listed
    assert nav_link(listed) is None
    # Accepting again, now that no request waits, is a 404 with the reason.
    again = await alice.post(url, data=fields)
    assert again.status_code == 404
    assert "has not asked to follow you" in again.text


async def test_rejecting_with_htmx_swaps_the_row_and_tells_nobody(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    carol = await members("carol")
    await lock(alice)
    await post_form(bob, "/@alice/follow", {})
    await post_form(carol, "/@alice/follow", {})
    await alice.get("/follow_requests")  # sets the CSRF cookie htmx sends
    bob_id = (await user("bob")).id
    answered = await alice.post(f"/follow_requests/{bob_id}/reject", headers=htmx_headers(alice))
    assert answered.status_code == 200
    fragment = answered.text
    assert "<html" not in fragment
    assert fragment.startswith(
        f'<li class="follow-request follow-request--answered card" id="follow-request-{bob_id}"'
    )
    said = "You rejected @bob\u2019s request."
    assert f"<p>{said}</p>" in fragment
    assert f'<div id="announcer" hx-swap-oob="innerHTML">{said}</div>' in fragment
    assert 'id="nav-follow-requests"' in fragment and 'hx-swap-oob="outerHTML"' in fragment
    assert nav_link(fragment) == "Follow requests, 1 waiting"
    assert await requests_count() == 1 and await Follow.count() == 0
    assert ">Follow</button>" in (await bob.get("/@alice")).text  # may ask again
    carol_id = (await user("carol")).id
    last = await alice.post(f"/follow_requests/{carol_id}/authorize", headers=htmx_headers(alice))
    assert "@carol now follows you." in last.text
    assert nav_link(last.text) == "Follow requests"  # no count left


async def test_withdrawing_a_request(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await lock(alice)
    await post_form(bob, "/@alice/follow", {})
    await bob.get("/@alice")
    withdrawn = await bob.post("/@alice/unfollow", headers=htmx_headers(bob))
    assert ">Follow</button>" in withdrawn.text
    assert await requests_count() == 0
    bob_id = (await user("bob")).id
    assert (await post_form(alice, f"/follow_requests/{bob_id}/authorize", {})).status_code == 404


async def test_bad_answers_are_clear_errors(members: Members, client: AsyncClient) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await lock(alice)
    bob_id = (await user("bob")).id
    # Never asked, a missing account, ids out of range or not numbers: 404, nothing changes.
    for account_id in (str(bob_id), "424242", "2147483648", "99999999999999999999", "abc", "-1"):
        for action in ("authorize", "reject"):
            answer = await post_form(alice, f"/follow_requests/{account_id}/{action}", {})
            assert answer.status_code == 404, (account_id, action, answer.text)
    assert await Follow.count() == 0
    await post_form(bob, "/@alice/follow", {})
    # Bob cannot answer his own request to Alice.
    alice_id = (await user("alice")).id
    assert (await post_form(bob, f"/follow_requests/{alice_id}/authorize", {})).status_code == 404
    assert (await alice.get("/follow_requests?before=abc")).status_code == 400
    # Visitors are sent to log in; a form without its CSRF token is refused.
    assert (await client.get("/follow_requests")).status_code in (302, 303)
    assert (await alice.post(f"/follow_requests/{bob_id}/authorize")).status_code == 403
    assert await requests_count() == 1 and await Follow.count() == 0


async def test_unlocking_accepts_everyone_waiting(members: Members) -> None:
    alice = await members("alice")
    askers = [await members(name) for name in ("bob", "carol", "dave")]
    await lock(alice)
    for asker in askers:
        await post_form(asker, "/@alice/follow", {})
    assert await requests_count() == 3
    url, fields = rendered_form((await alice.get("/settings")).text, "/settings/followers")
    assert (await alice.post(url, data=fields)).status_code == 303  # box left unticked
    assert await requests_count() == 0
    assert await Follow.count() == 3
    assert (await user("alice")).followers_count == 3
    # And an unlocked account is never asked again.
    erin = await members("erin")
    await post_form(erin, "/@alice/follow", {})
    assert await requests_count() == 0 and await Follow.count() == 4


async def test_unlocking_while_people_follow_leaves_no_request_behind(members: Members) -> None:
    """The follow statement reads the owner's row FOR SHARE: whichever way a follow and the
    unlocking interleave, it ends a follow, never a request stranded on an open account."""
    await members("alice")
    owner = await user("alice")
    await social.set_locked(owner, True)
    fans = [await accounts.sign_up(f"fan{n}", "", PASSWORD) for n in range(12)]
    await asyncio.gather(
        *(social.follow(fan, owner.id) for fan in fans[:6]),
        social.set_locked(owner, False),
        *(social.follow(fan, owner.id) for fan in fans[6:]),
    )
    assert await requests_count() == 0
    assert await Follow.count() == 12
    assert (await user("alice")).followers_count == 12


async def test_blocking_removes_requests_either_way(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await lock(alice)
    await lock(bob)
    await post_form(bob, "/@alice/follow", {})
    await post_form(alice, "/@bob/follow", {})
    assert await requests_count() == 2
    assert (await post_form(alice, "/@bob/block", {})).status_code == 303
    assert await requests_count() == 0
    # A blocked person cannot ask either (403 with the reason), nor the blocker.
    refused = await post_form(bob, "/@alice/follow", {})
    assert refused.status_code == 403 and "blocked you" in refused.text
    assert (await post_form(alice, "/@bob/follow", {})).status_code == 403
    assert await requests_count() == 0


async def test_a_suspended_requester_is_hidden_until_reinstated(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await lock(alice)
    await post_form(bob, "/@alice/follow", {})
    await User.update({User.is_suspended: True}).where(User.username == "bob")
    page = (await alice.get("/follow_requests")).text
    assert '<span class="username">@bob</span>' not in page and nav_link(page) is None
    bob_id = (await user("bob")).id
    assert (await post_form(alice, f"/follow_requests/{bob_id}/authorize", {})).status_code == 404
    assert await Follow.count() == 0
    await User.update({User.is_suspended: False}).where(User.username == "bob")
    assert nav_link((await alice.get("/")).text) == "Follow requests, 1 waiting"


async def test_the_owner_is_notified_and_the_notification_goes_with_the_request(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice = await members("alice")
    bob = await members("bob")
    carol = await members("carol")
    await lock(alice)
    await post_form(bob, "/@alice/follow", {})
    await post_form(carol, "/@alice/follow", {})
    await settled(app)
    page = (await alice.get("/notifications")).text
    assert page.count("asked to follow you") == 2
    owner = await user("alice")
    kinds = await Notification.select(Notification.kind).where(Notification.recipient == owner.id)
    assert sorted(row["kind"] for row in kinds) == ["follow_request", "follow_request"]
    await post_form(alice, f"/follow_requests/{(await user('bob')).id}/authorize", {})
    await post_form(carol, "/@alice/unfollow", {})  # carol withdraws hers
    await settled(app)
    found = await notifications.page(owner.id)
    assert [(item.kind, item.actor_username) for item in found.items] == [("follow", "bob")]
    # Asked and accepted, Bob is not notified of anything, nor Carol of her withdrawal.
    for name in ("bob", "carol"):
        assert (await notifications.page((await user(name)).id)).items == []
