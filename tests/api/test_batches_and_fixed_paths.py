"""Several statuses or accounts in one call (Mastodon 4.3's `id[]` lists), familiar followers,
account search, and the fixed paths under /api/v1/accounts/ that must never be read as an
account id."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from litestar import Litestar

from domain import social
from domain.moderation import suspend
from tests.api.helpers import Caller, caller, make_user


async def _staff_suspends(username: str) -> None:
    admin = await make_user("admin")
    admin.role = "admin"
    await admin.save()
    await suspend(admin, username)


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [entity["id"] for entity in response.json()]


async def test_several_statuses_in_one_call(client: AsyncClient) -> None:
    alice, bob, carol = [await caller(client, name) for name in ("alice", "bob", "carol")]
    first = await alice.status("First")
    second = await alice.status("Second")
    comment = await bob.status("A comment", in_reply_to_id=first["id"])
    by_carol = await carol.status("Carol's")
    asked = [
        second["id"],
        "424242",
        comment["id"],
        "junk",
        "c999999",
        first["id"],
        second["id"],
        by_carol["id"],
    ]
    expected = [second["id"], comment["id"], first["id"], by_carol["id"]]
    assert _ids(await client.get("/api/v1/statuses", params={"id[]": asked})) == expected
    found = (await alice.get("/api/v1/statuses", params={"id[]": asked})).json()
    assert [s["id"] for s in found] == expected
    assert found[0]["content"] == "<p>Second</p>" and found[1]["in_reply_to_id"] == first["id"]

    # What the viewer may not see is left out: across a block, and a suspended author's.
    await social.block(alice.user, carol.user.id)
    assert _ids(await alice.get("/api/v1/statuses", params={"id[]": asked})) == expected[:3]
    await _staff_suspends("bob")
    assert _ids(await client.get("/api/v1/statuses", params={"id[]": asked})) == [
        second["id"],
        first["id"],
        by_carol["id"],
    ]
    assert _ids(await client.get("/api/v1/statuses")) == []
    too_many = await client.get("/api/v1/statuses", params={"id[]": [str(n) for n in range(41)]})
    assert too_many.status_code == 422 and "at most 40" in too_many.json()["error"]


async def test_several_accounts_in_one_call(client: AsyncClient) -> None:
    alice, bob, carol = [await make_user(name) for name in ("alice", "bob", "carol")]
    asked = [str(carol.id), "424242", str(alice.id), str(carol.id), str(bob.id)]
    found = await client.get("/api/v1/accounts", params={"id[]": asked})
    assert [a["username"] for a in found.json()] == ["carol", "alice", "bob"]
    await _staff_suspends("alice")
    assert _ids(await client.get("/api/v1/accounts", params={"id[]": asked})) == [
        str(carol.id),
        str(bob.id),
    ]
    bad = await client.get("/api/v1/accounts", params={"id[]": ["x"]})
    assert bad.status_code == 422 and "id" in bad.json()["error"]


async def test_familiar_followers_are_followers_the_caller_follows(client: AsyncClient) -> None:
    alice, bob, carol, dave, erin = [
        await caller(client, name) for name in ("alice", "bob", "carol", "dave", "erin")
    ]

    async def follows(who: Caller, whom: Caller) -> None:
        response = await who.post(f"/api/v1/accounts/{whom.user.id}/follow")
        assert response.status_code == 200, response.text

    await follows(alice, bob)
    await follows(alice, carol)
    await follows(bob, dave)
    await follows(erin, dave)  # alice does not follow erin
    await follows(carol, dave)
    await follows(bob, erin)
    response = await alice.get(
        "/api/v1/accounts/familiar_followers",
        params={"id[]": [str(dave.user.id), str(erin.user.id), str(alice.user.id)]},
    )
    assert response.status_code == 200, response.text
    assert [
        (entry["id"], [a["username"] for a in entry["accounts"]]) for entry in response.json()
    ] == [
        (str(dave.user.id), ["carol", "bob"]),  # most recent follow first
        (str(erin.user.id), ["bob"]),
        (str(alice.user.id), []),
    ]
    assert (await client.get("/api/v1/accounts/familiar_followers")).status_code == 401


async def test_account_search(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await make_user("alicia")
    await make_user("bob")
    found = await alice.get("/api/v1/accounts/search", params={"q": "ali", "limit": "5"})
    assert [a["username"] for a in found.json()] == ["alice", "alicia"]
    refused = await alice.get("/api/v1/accounts/search", params={"q": "a", "following": "true"})
    assert refused.status_code == 422 and "following" in refused.json()["error"]
    assert (await alice.get("/api/v1/accounts/search")).status_code == 400
    assert (await client.get("/api/v1/accounts/search", params={"q": "a"})).status_code == 401


async def test_no_fixed_path_under_accounts_is_read_as_an_id(
    app: Litestar, client: AsyncClient
) -> None:
    """Every fixed GET path under /api/v1/accounts/ reaches its own handler (200 for a
    well-formed request), never `/api/v1/accounts/:id`'s "Record not found"."""
    alice = await caller(client, "alice")
    bob = await make_user("bob")
    requests = {
        "/api/v1/accounts/verify_credentials": {},
        "/api/v1/accounts/relationships": {"id[]": str(bob.id)},
        "/api/v1/accounts/familiar_followers": {"id[]": str(bob.id)},
        "/api/v1/accounts/search": {"q": "bob"},
        "/api/v1/accounts/lookup": {"acct": "bob"},
    }
    fixed = {
        route.path
        for route in app.routes
        if route.path.startswith("/api/v1/accounts/")
        and "{" not in route.path
        and "GET" in route.methods
    }
    assert fixed == set(requests)  # a new fixed path needs a line here
    for path, params in requests.items():
        response = await alice.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
    patched = await alice.patch("/api/v1/accounts/update_credentials", data={"note": "Hi"})
    assert patched.status_code == 200 and patched.json()["source"]["note"] == "Hi"
