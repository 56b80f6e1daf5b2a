"""Locked accounts and follow requests through the Mastodon API (issue 13, item 4), as
https://docs.joinmastodon.org/methods/follow_requests/ describes them: `locked` on the
Account and in update_credentials, `requested` and `requested_by` in relationships, the list
of requests with its Link header, authorize and reject answering a Relationship, the
`follow_request` notification, scopes and bad paths; and through Mastodon.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx import AsyncClient
from mastodon.errors import MastodonNotFoundError

from domain import notifications, social
from domain.accounts import User
from domain.social import Follow, FollowRequest
from tests.api.helpers import Caller, caller, token_for
from tests.api.test_real_clients import logged_in
from tests.api.test_real_clients import make_user as make_user_sync
from tests.conftest import run_async

CREDENTIALS = "/api/v1/accounts/update_credentials"
REQUESTS = "/api/v1/follow_requests"


async def locked_caller(client: AsyncClient, username: str) -> Caller:
    owner = await caller(client, username)
    response = await owner.patch(CREDENTIALS, data={"locked": "true"})
    assert response.status_code == 200 and response.json()["locked"] is True, response.text
    return owner


async def follow(who: Caller, account_id: int) -> dict[str, Any]:
    response = await who.post(f"/api/v1/accounts/{account_id}/follow")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def relationship(who: Caller, account_id: int) -> dict[str, Any]:
    response = await who.get("/api/v1/accounts/relationships", params={"id[]": str(account_id)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()[0]
    return body


async def test_locked_is_stored_shown_and_bad_values_refused(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    assert (await alice.get(f"/api/v1/accounts/{alice.user.id}")).json()["locked"] is False
    locked = await alice.patch(CREDENTIALS, json={"locked": True, "display_name": "Al"})
    assert locked.status_code == 200
    assert (locked.json()["locked"], locked.json()["display_name"]) == (True, "Al")
    assert (await client.get(f"/api/v1/accounts/{alice.user.id}")).json()["locked"] is True
    for bad in ({"data": {"locked": "maybe", "display_name": "Bad"}}, {"json": {"locked": [1]}}):
        refused = await alice.client.patch(CREDENTIALS, headers=alice.headers, **bad)
        assert refused.status_code == 422, refused.text
        assert "locked must be true or false" in refused.json()["error"]
    me = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert (me["locked"], me["display_name"]) == (True, "Al")  # nothing of a refusal saved
    # Left out, it stays; a read-only token cannot change it.
    assert (await alice.patch(CREDENTIALS, data={"note": "hi"})).json()["locked"] is True
    reader = {"Authorization": f"Bearer {await token_for(alice.user, 'read')}"}
    denied = await client.patch(CREDENTIALS, data={"locked": "false"}, headers=reader)
    assert denied.status_code == 403


async def test_following_a_locked_account_is_a_request(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    bob = await caller(client, "bob")
    await alice.status("for my followers")
    asked = await follow(bob, alice.user.id)
    assert (asked["following"], asked["requested"], asked["showing_reblogs"]) == (
        False,
        True,
        False,
    )
    assert (await follow(bob, alice.user.id))["requested"] is True  # twice: one request
    assert await FollowRequest.count() == 1 and await Follow.count() == 0
    assert (await relationship(bob, alice.user.id))["requested"] is True
    seen = await relationship(alice, bob.user.id)
    assert (seen["requested_by"], seen["followed_by"], seen["requested"]) == (True, False, False)
    # Nowhere a follow: counts, lists, the home timeline.
    account = (await bob.get(f"/api/v1/accounts/{alice.user.id}")).json()
    assert account["followers_count"] == 0
    assert (await bob.get(f"/api/v1/accounts/{alice.user.id}/followers")).json() == []
    assert (await bob.get("/api/v1/timelines/home")).json() == []
    credentials = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert credentials["source"]["follow_requests_count"] == 1
    # Unfollow withdraws it.
    withdrawn = (await bob.post(f"/api/v1/accounts/{alice.user.id}/unfollow")).json()
    assert (withdrawn["requested"], withdrawn["following"]) == (False, False)
    assert await FollowRequest.count() == 0


async def test_the_list_pages_with_link(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    assert (await alice.get(REQUESTS)).json() == []
    for name in ("bob", "carol", "dave"):
        await follow(await caller(client, name), alice.user.id)
    first = await alice.get(REQUESTS, params={"limit": 2})
    assert first.status_code == 200
    assert [account["username"] for account in first.json()] == ["dave", "carol"]
    match = re.search(r'<([^>]+)>; rel="next"', first.headers["link"])
    assert match and "limit=2" in match.group(1) and "max_id=" in match.group(1)
    rest = await alice.get(match.group(1))
    assert [account["username"] for account in rest.json()] == ["bob"]
    assert "link" not in rest.headers
    # Someone else's requests are not the caller's to see.
    assert (await (await caller(client, "erin")).get(REQUESTS)).json() == []
    for bad in ({"limit": "many"}, {"max_id": "abc"}, {"max_id": "99999999999"}):
        refused = await alice.get(REQUESTS, params=bad)
        assert refused.status_code == 422, (bad, refused.text)


async def test_authorize_follows_and_reject_tells_nobody(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    bob = await caller(client, "bob")
    carol = await caller(client, "carol")
    post = await alice.status("now you see me")
    await follow(bob, alice.user.id)
    await follow(carol, alice.user.id)
    authorized = await alice.post(f"{REQUESTS}/{bob.user.id}/authorize")
    assert authorized.status_code == 200
    body = authorized.json()
    assert body["id"] == str(bob.user.id)
    assert (body["followed_by"], body["requested_by"], body["following"]) == (True, False, False)
    assert (await relationship(bob, alice.user.id))["following"] is True
    assert [s["id"] for s in (await bob.get("/api/v1/timelines/home")).json()] == [post["id"]]
    followers = (await alice.get(f"/api/v1/accounts/{alice.user.id}/followers")).json()
    assert [a["username"] for a in followers] == ["bob"]
    rejected = await alice.post(f"{REQUESTS}/{carol.user.id}/reject")
    assert rejected.status_code == 200
    assert (rejected.json()["followed_by"], rejected.json()["requested_by"]) == (False, False)
    assert (await relationship(carol, alice.user.id))["requested"] is False
    assert await FollowRequest.count() == 0 and await Follow.count() == 1
    # Answering again, the request gone: 404, and nothing changes.
    for who, action in ((bob, "authorize"), (carol, "authorize"), (carol, "reject")):
        again = await alice.post(f"{REQUESTS}/{who.user.id}/{action}")
        assert again.status_code == 404 and again.json()["error"]
    assert await Follow.count() == 1


async def test_bad_paths_are_404s_and_scopes_are_mastodons(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    bob = await caller(client, "bob")
    # Someone who never asked, a missing account, ids out of range or not numbers.
    for account_id in (str(bob.user.id), "424242", "2147483648", "9" * 30, "abc", "-3"):
        for action in ("authorize", "reject"):
            answer = await alice.post(f"{REQUESTS}/{account_id}/{action}")
            assert answer.status_code == 404, (account_id, action, answer.text)
    await follow(bob, alice.user.id)
    # One cannot answer one's own request.
    assert (await bob.post(f"{REQUESTS}/{alice.user.id}/authorize")).status_code == 404
    # read:follows lists, write:follows answers; `follow` covers both; nothing else does.
    for scopes, listed, answered in (
        ("read", 200, 403),
        ("write:follows", 403, None),
        ("read:accounts write:accounts", 403, 403),
    ):
        headers = {"Authorization": f"Bearer {await token_for(alice.user, scopes)}"}
        assert (await client.get(REQUESTS, headers=headers)).status_code == listed, scopes
        if answered is not None:
            url = f"{REQUESTS}/{bob.user.id}/reject"
            assert (await client.post(url, headers=headers)).status_code == answered, scopes
    assert await FollowRequest.count() == 1
    follow_only = {"Authorization": f"Bearer {await token_for(alice.user, 'follow')}"}
    assert (await client.get(REQUESTS, headers=follow_only)).status_code == 200
    url = f"{REQUESTS}/{bob.user.id}/authorize"
    assert (await client.post(url, headers=follow_only)).status_code == 200
    assert (await client.get(REQUESTS)).status_code == 401
    app_only = {"Authorization": f"Bearer {await token_for(None, 'read')}"}
    assert (await client.get(REQUESTS, headers=app_only)).status_code == 422


async def test_blocked_and_suspended_requesters(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    bob = await caller(client, "bob")
    carol = await caller(client, "carol")
    await follow(bob, alice.user.id)
    await alice.post(f"/api/v1/accounts/{bob.user.id}/block")
    assert await FollowRequest.count() == 0  # blocking removed it
    refused = await bob.post(f"/api/v1/accounts/{alice.user.id}/follow")
    assert refused.status_code == 403 and "blocked you" in refused.json()["error"]
    assert await FollowRequest.count() == 0
    await follow(carol, alice.user.id)
    await User.update({User.is_suspended: True}).where(User.id == carol.user.id)
    assert (await alice.get(REQUESTS)).json() == []
    me = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert me["source"]["follow_requests_count"] == 0
    assert (await alice.post(f"{REQUESTS}/{carol.user.id}/authorize")).status_code == 404
    assert await Follow.count() == 0


async def test_unlocking_accepts_everyone_waiting(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    for name in ("bob", "carol"):
        await follow(await caller(client, name), alice.user.id)
    unlocked = await alice.patch(CREDENTIALS, data={"locked": "false"})
    assert unlocked.json()["locked"] is False
    assert unlocked.json()["followers_count"] == 2
    assert unlocked.json()["source"]["follow_requests_count"] == 0
    assert await FollowRequest.count() == 0 and await Follow.count() == 2
    # An unlocked account is followed at once.
    dave = await caller(client, "dave")
    assert (await follow(dave, alice.user.id))["following"] is True


async def test_the_follow_request_notification(client: AsyncClient) -> None:
    alice = await locked_caller(client, "alice")
    bob = await caller(client, "bob")
    await follow(bob, alice.user.id)
    # What the notify job does (tests/test_notifications.py runs the real worker).
    assert (
        await notifications.deliver("follow_request", actor_id=bob.user.id, user_id=alice.user.id)
        == 1
    )
    listed = (await alice.get("/api/v1/notifications")).json()
    assert [(n["type"], n["account"]["username"], n["status"]) for n in listed] == [
        ("follow_request", "bob", None)
    ]
    only = await alice.get("/api/v1/notifications", params={"types[]": "follow_request"})
    assert len(only.json()) == 1
    excluded = await alice.get(
        "/api/v1/notifications", params={"exclude_types[]": "follow_request"}
    )
    assert excluded.json() == []
    await alice.post(f"{REQUESTS}/{bob.user.id}/authorize")
    await notifications.deliver("follow", actor_id=bob.user.id, user_id=alice.user.id)
    after = (await alice.get("/api/v1/notifications")).json()
    assert [n["type"] for n in after] == ["follow"]  # the request's went with it


def test_mastodon_py_follow_requests(live_server: str) -> None:
    make_user_sync("alice")
    bob_id = make_user_sync("bob")
    carol_id = make_user_sync("carol")
    alice = logged_in(live_server, "alice")
    bob = logged_in(live_server, "bob")
    carol = logged_in(live_server, "carol")
    assert alice.account_update_credentials(locked=True).locked is True
    alice_id = alice.me().id
    asked = bob.account_follow(alice_id)
    assert (asked.requested, asked.following) == (True, False)
    carol.account_follow(alice_id)
    assert [a.username for a in alice.follow_requests()] == ["carol", "bob"]
    assert alice.account_relationships([bob_id])[0].requested_by is True
    assert alice.follow_request_authorize(bob_id).followed_by is True
    assert alice.follow_request_reject(carol_id).requested_by is False
    assert alice.follow_requests() == []
    assert bob.account_relationships([alice_id])[0].following is True
    with pytest.raises(MastodonNotFoundError):
        alice.follow_request_authorize(carol_id)

    async def counts() -> tuple[int, int]:
        return await social.count_requests_waiting(int(alice_id)), await Follow.count()

    assert run_async(counts) == (0, 1)
