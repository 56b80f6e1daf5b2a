"""GET /api/v2/search over accounts, statuses and hashtags."""

from __future__ import annotations

from httpx import AsyncClient

from domain.accounts import User
from tests.api.helpers import caller, make_user


async def test_search_accounts_by_username_prefix_and_display_name(client: AsyncClient) -> None:
    await make_user("alice", "Alice Liddell")
    await make_user("alicia", "Someone")
    await make_user("bob", "Bob Alison")
    found = (await client.get("/api/v2/search", params={"q": "alice"})).json()
    assert [a["username"] for a in found["accounts"]] == ["alice"]
    prefix = (await client.get("/api/v2/search", params={"q": "ali", "type": "accounts"})).json()
    assert {a["username"] for a in prefix["accounts"]} == {"alice", "alicia", "bob"}
    assert prefix["statuses"] == [] and prefix["hashtags"] == []
    handle = (await client.get("/api/v2/search", params={"q": "@alicia@agora.test"})).json()
    assert [a["username"] for a in handle["accounts"]] == ["alicia"]
    wildcard = (await client.get("/api/v2/search", params={"q": "%"})).json()
    assert wildcard["accounts"] == []


async def test_search_statuses_needs_a_user_token_with_read_search(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    match = await alice.status("Brewing green tea today")
    await alice.status("Coffee only")
    await alice.status("green things")
    anonymous = (await client.get("/api/v2/search", params={"q": "green tea"})).json()
    assert anonymous["statuses"] == []
    found = (await alice.get("/api/v2/search", params={"q": "green tea"})).json()
    assert [s["id"] for s in found["statuses"]] == [match["id"]]
    narrow = await caller(client, "bob", scopes="read:accounts")
    assert (await narrow.get("/api/v2/search", params={"q": "green tea"})).json()["statuses"] == []
    paged = (
        await alice.get("/api/v2/search", params={"q": "green", "limit": 1, "offset": 1})
    ).json()
    assert [s["text"] for s in paged["statuses"]] == ["Brewing green tea today"]


async def test_search_hashtags_in_use(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await alice.status("Loving #Python today")
    await alice.status("just rust, no tag")
    found = (await client.get("/api/v2/search", params={"q": "#python"})).json()
    assert found["hashtags"] == [
        {"name": "python", "url": "http://agora.test/tags/python", "history": []}
    ]
    assert (await client.get("/api/v2/search", params={"q": "rust"})).json()["hashtags"] == []
    assert (await client.get("/api/v2/search", params={"q": "no such"})).json()["hashtags"] == []


async def test_search_hides_suspended_accounts_and_bad_input(client: AsyncClient) -> None:
    alice = await make_user("alice")
    await User.update({User.is_suspended: True}).where(User.id == alice.id)
    assert (await client.get("/api/v2/search", params={"q": "alice"})).json()["accounts"] == []
    assert (await client.get("/api/v2/search")).status_code == 400
    assert (await client.get("/api/v2/search", params={"q": "a", "type": "x"})).status_code == 422
    assert (await client.get("/api/v2/search", params={"q": "a", "offset": -1})).status_code == 422
    bad = await client.get(
        "/api/v2/search", params={"q": "a"}, headers={"Authorization": "Bearer x"}
    )
    assert bad.status_code == 401
