"""/api/v1/accounts: own credentials, profiles, posts, follows, relationships, lookup."""

from __future__ import annotations

import re

from httpx import AsyncClient

from domain.accounts import User
from tests.api.helpers import caller, make_user


async def test_verify_credentials_has_the_source(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    body = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert body["id"] == str(alice.user.id) and body["username"] == "alice"
    assert body["display_name"] == "Alice" and body["acct"] == "alice"
    assert body["source"]["note"] == "" and body["source"]["privacy"] == "public"
    assert body["url"] == "http://agora.test/@alice"
    assert body["avatar"].startswith("http://agora.test/")
    assert (await client.get(body["avatar"])).status_code == 200
    assert body["followers_count"] == 0 and body["statuses_count"] == 0
    assert body["last_status_at"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])


async def test_update_credentials_changes_name_and_note(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    response = await alice.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Alice A.", "note": "Hello <there> #intro"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Alice A."
    assert body["source"]["note"] == "Hello <there> #intro"
    assert "&lt;there&gt;" in body["note"] and "<there>" not in body["note"]
    # A field left out keeps its value.
    only_name = await alice.patch("/api/v1/accounts/update_credentials", data={"display_name": "A"})
    assert only_name.json()["source"]["note"] == "Hello <there> #intro"
    stored = await User.objects().where(User.id == alice.user.id).first()
    assert stored is not None and stored.display_name == "A"


async def test_update_credentials_bad_input_and_scope(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    too_long = await alice.patch(
        "/api/v1/accounts/update_credentials", data={"display_name": "x" * 51}
    )
    assert too_long.status_code == 422 and "Display name" in too_long.json()["error"]
    bio = await alice.patch("/api/v1/accounts/update_credentials", data={"note": "x" * 301})
    assert bio.status_code == 422
    reader = await caller(client, "bob", scopes="read")
    response = await reader.patch("/api/v1/accounts/update_credentials", data={"note": "hi"})
    assert response.status_code == 403
    assert (await client.patch("/api/v1/accounts/update_credentials")).status_code == 401


async def test_account_lookup_and_missing_accounts(client: AsyncClient) -> None:
    alice = await make_user("alice")
    shown = (await client.get(f"/api/v1/accounts/{alice.id}")).json()
    assert shown["username"] == "alice" and "source" not in shown
    for acct in ("alice", "@ALICE", "alice@agora.test"):
        response = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert response.status_code == 200 and response.json()["id"] == str(alice.id), acct
    for acct in ("nobody", "alice@elsewhere.example", "bad name"):
        assert (
            await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        ).status_code == 404
    assert (await client.get("/api/v1/accounts/lookup")).status_code == 400
    for missing in ("999", "abc", "99999999999999"):
        assert (await client.get(f"/api/v1/accounts/{missing}")).status_code == 404
    await User.update({User.is_suspended: True}).where(User.id == alice.id)
    assert (await client.get(f"/api/v1/accounts/{alice.id}")).status_code == 404
    assert (
        await client.get("/api/v1/accounts/lookup", params={"acct": "alice"})
    ).status_code == 404


async def test_account_statuses_are_paged(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    ids = [(await alice.status(f"post {n}"))["id"] for n in range(5)]
    page = await client.get(f"/api/v1/accounts/{alice.user.id}/statuses", params={"limit": 2})
    assert [s["id"] for s in page.json()] == [ids[4], ids[3]]
    assert f"max_id={ids[3]}" in page.headers["link"]
    older = await client.get(
        f"/api/v1/accounts/{alice.user.id}/statuses", params={"max_id": ids[3], "limit": 10}
    )
    assert [s["id"] for s in older.json()] == [ids[2], ids[1], ids[0]]
    assert 'rel="next"' not in older.headers["link"]
    account = (await client.get(f"/api/v1/accounts/{alice.user.id}")).json()
    assert account["statuses_count"] == 5 and account["last_status_at"] is not None
    media = await client.get(f"/api/v1/accounts/{alice.user.id}/statuses?only_media=true")
    assert media.json() == []
    assert (await client.get("/api/v1/accounts/999/statuses")).status_code == 404
    bad = await client.get(f"/api/v1/accounts/{alice.user.id}/statuses", params={"max_id": "x"})
    assert bad.status_code == 422


async def test_follow_unfollow_and_relationships(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    carol = await make_user("carol")
    followed = await alice.post(f"/api/v1/accounts/{bob.user.id}/follow")
    assert followed.status_code == 200
    assert followed.json() | {"languages": None} == followed.json()
    assert followed.json()["following"] is True and followed.json()["followed_by"] is False
    await bob.post(f"/api/v1/accounts/{alice.user.id}/follow")
    relations = await alice.get(
        "/api/v1/accounts/relationships", params=[("id[]", bob.user.id), ("id[]", carol.id)]
    )
    assert relations.status_code == 200
    assert [(r["id"], r["following"], r["followed_by"]) for r in relations.json()] == [
        (str(bob.user.id), True, True),
        (str(carol.id), False, False),
    ]
    single = await alice.get("/api/v1/accounts/relationships", params={"id": bob.user.id})
    assert len(single.json()) == 1
    counts = (await client.get(f"/api/v1/accounts/{bob.user.id}")).json()
    assert counts["followers_count"] == 1 and counts["following_count"] == 1
    unfollowed = await alice.post(f"/api/v1/accounts/{bob.user.id}/unfollow")
    assert unfollowed.json()["following"] is False and unfollowed.json()["followed_by"] is True


async def test_follow_bad_paths(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await make_user("bob")
    myself = await alice.post(f"/api/v1/accounts/{alice.user.id}/follow")
    assert myself.status_code == 422 and "yourself" in myself.json()["error"]
    assert (await alice.post("/api/v1/accounts/999/follow")).status_code == 404
    assert (await client.post(f"/api/v1/accounts/{bob.id}/follow")).status_code == 401
    reader = await caller(client, "carol", scopes="read")
    assert (await reader.post(f"/api/v1/accounts/{bob.id}/follow")).status_code == 403
    assert (await client.get("/api/v1/accounts/relationships?id[]=1")).status_code == 401
    writer = await caller(client, "dave", scopes="write")
    assert (await writer.get(f"/api/v1/accounts/relationships?id[]={bob.id}")).status_code == 403


async def test_followers_and_following_lists_page_with_link(client: AsyncClient) -> None:
    star = await make_user("star")
    fans = []
    for n in range(3):
        fan = await caller(client, f"fan{n}")
        await fan.post(f"/api/v1/accounts/{star.id}/follow")
        fans.append(fan)
    first = await client.get(f"/api/v1/accounts/{star.id}/followers", params={"limit": 2})
    assert [a["username"] for a in first.json()] == ["fan2", "fan1"]
    match = re.search(r'<([^>]+)>; rel="next"', first.headers["link"])
    assert match
    rest = await client.get(match.group(1))
    assert [a["username"] for a in rest.json()] == ["fan0"]
    assert "link" not in rest.headers
    following = await client.get(f"/api/v1/accounts/{fans[0].user.id}/following")
    assert [a["username"] for a in following.json()] == ["star"]
    assert (await client.get("/api/v1/accounts/999/followers")).status_code == 404
