"""/api/v1/accounts/:id/block, /unblock, /api/v1/blocks, and relationships across a block."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient

from domain.posts import Comment
from domain.social import Block, Follow
from tests.api.helpers import Caller, caller, make_user, token_for


async def relationship(viewer: Caller, other_id: int) -> dict[str, object]:
    response = await viewer.get("/api/v1/accounts/relationships", params={"id[]": other_id})
    assert response.status_code == 200
    found: dict[str, object] = response.json()[0]
    return found


async def test_block_and_unblock_answer_the_relationship(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    await alice.post(f"/api/v1/accounts/{bob.user.id}/follow")
    await bob.post(f"/api/v1/accounts/{alice.user.id}/follow")

    blocked = await alice.post(f"/api/v1/accounts/{bob.user.id}/block")
    assert blocked.status_code == 200
    body = blocked.json()
    assert body["id"] == str(bob.user.id)
    assert (body["blocking"], body["blocked_by"]) == (True, False)
    assert (body["following"], body["followed_by"]) == (False, False)  # both follows ended
    assert await Follow.count() == 0
    again = await alice.post(f"/api/v1/accounts/{bob.user.id}/block")
    assert again.status_code == 200 and await Block.count() == 1

    seen_by_bob = await relationship(bob, alice.user.id)
    assert (seen_by_bob["blocking"], seen_by_bob["blocked_by"]) == (False, True)
    seen_by_alice = await relationship(alice, bob.user.id)
    assert (seen_by_alice["blocking"], seen_by_alice["blocked_by"]) == (True, False)

    unblocked = await alice.post(f"/api/v1/accounts/{bob.user.id}/unblock")
    assert unblocked.status_code == 200
    assert (unblocked.json()["blocking"], unblocked.json()["blocked_by"]) == (False, False)
    assert (await relationship(bob, alice.user.id))["blocked_by"] is False
    assert await Block.count() == 0


async def test_block_bad_paths(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await make_user("bob")
    myself = await alice.post(f"/api/v1/accounts/{alice.user.id}/block")
    assert myself.status_code == 422 and "You cannot block yourself" in myself.json()["error"]
    assert (await alice.post("/api/v1/accounts/999/block")).status_code == 404
    assert (await alice.post("/api/v1/accounts/999/unblock")).status_code == 404
    assert (await alice.post("/api/v1/accounts/not-an-id/block")).status_code == 404
    assert (await client.post(f"/api/v1/accounts/{bob.id}/block")).status_code == 401
    assert (await client.get("/api/v1/blocks")).status_code == 401
    assert await Block.count() == 0


@pytest.mark.parametrize(
    ("scopes", "may_block", "may_list"),
    [
        ("write:blocks read:blocks", True, True),
        ("write", True, False),
        ("read", False, True),
        ("follow", True, True),  # Mastodon's legacy umbrella covers blocks
        ("write:follows read:follows", False, False),
    ],
)
async def test_scopes(client: AsyncClient, scopes: str, may_block: bool, may_list: bool) -> None:
    alice = await caller(client, "alice", scopes=scopes)
    bob = await make_user("bob")
    blocked = await alice.post(f"/api/v1/accounts/{bob.id}/block")
    assert blocked.status_code == (200 if may_block else 403)
    unblocked = await alice.post(f"/api/v1/accounts/{bob.id}/unblock")
    assert unblocked.status_code == (200 if may_block else 403)
    assert (await alice.get("/api/v1/blocks")).status_code == (200 if may_list else 403)


async def test_an_app_only_token_cannot_block(client: AsyncClient) -> None:
    bob = await make_user("bob")
    app_token = {"Authorization": f"Bearer {await token_for(None, 'follow')}"}
    response = await client.post(f"/api/v1/accounts/{bob.id}/block", headers=app_token)
    assert response.status_code == 422
    assert await Block.count() == 0


async def test_the_block_list_pages_with_link(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    assert (await alice.get("/api/v1/blocks")).json() == []
    for name in ("bob", "carol", "dave"):
        other = await make_user(name)
        await alice.post(f"/api/v1/accounts/{other.id}/block")
    first = await alice.get("/api/v1/blocks", params={"limit": 2})
    assert first.status_code == 200
    assert [account["username"] for account in first.json()] == ["dave", "carol"]
    match = re.search(r'<([^>]+)>; rel="next"', first.headers["link"])
    assert match and "limit=2" in match.group(1)
    rest = await alice.get(match.group(1))
    assert [account["username"] for account in rest.json()] == ["bob"]
    assert "link" not in rest.headers


async def test_nothing_crosses_a_block_through_the_api(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    alices = await alice.status("alice on the api")
    bobs = await bob.status("bob on the api")
    await alice.post(f"/api/v1/accounts/{bob.user.id}/block")

    follow = await bob.post(f"/api/v1/accounts/{alice.user.id}/follow")
    assert follow.status_code == 403 and "has blocked you" in follow.json()["error"]
    like = await bob.post(f"/api/v1/statuses/{alices['id']}/favourite")
    assert like.status_code == 403 and "cannot like their posts" in like.json()["error"]
    reply = await bob.post(
        "/api/v1/statuses", data={"status": "hi", "in_reply_to_id": alices["id"]}
    )
    # As in Mastodon, what the caller cannot see cannot be answered: the post is not found.
    assert reply.status_code == 404 and await Comment.count() == 0
    # Each side's statuses are gone for the other, and still there for everyone else.
    public_for_bob = (await bob.get("/api/v1/timelines/public")).json()
    assert [status["id"] for status in public_for_bob] == [bobs["id"]]
    public_for_alice = (await alice.get("/api/v1/timelines/public")).json()
    assert [status["id"] for status in public_for_alice] == [alices["id"]]
    everyone = (await client.get("/api/v1/timelines/public")).json()
    assert {status["id"] for status in everyone} == {alices["id"], bobs["id"]}
    assert (await bob.get(f"/api/v1/statuses/{alices['id']}")).status_code == 404


async def test_search_leaves_out_accounts_and_statuses_across_a_block(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    carol = await caller(client, "carol")
    await bob.status("bob writes about gardens")
    await alice.post(f"/api/v1/accounts/{bob.user.id}/block")

    async def found(searcher: Caller, q: str) -> tuple[list[str], list[str]]:
        body = (await searcher.get("/api/v2/search", params={"q": q})).json()
        return [a["username"] for a in body["accounts"]], [s["content"] for s in body["statuses"]]

    assert await found(alice, "bob") == ([], [])
    assert (await found(alice, "gardens"))[1] == []
    assert (await found(bob, "alice"))[0] == []
    assert (await found(carol, "bob"))[0] == ["bob"]
    assert any("gardens" in content for content in (await found(carol, "gardens"))[1])
