"""Mastodon 4.3's notification endpoints: the unread count (v1 and v2), grouped notifications
(v2: list, one group, its accounts, dismiss), and the notification policy and requests."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from domain import notifications
from tests.api.helpers import caller
from tests.api.test_notifications_api import follow, like, mention, reply
from tests.api.test_timelines import links


async def test_unread_count_counts_unread_with_types_account_and_limit(
    client: AsyncClient,
) -> None:
    alice, bob, carol = [await caller(client, name) for name in ("alice", "bob", "carol")]
    post = await alice.status("Hello")
    await follow(bob, alice)
    await like(bob, post["id"])
    await like(carol, post["id"])
    await reply(carol, post["id"], "Hi")

    async def count(path: str = "/api/v1/notifications/unread_count", **params: Any) -> int:
        response = await alice.get(path, params=params)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"count"}
        value: int = response.json()["count"]
        return value

    assert await count() == 4
    assert await count("/api/v2/notifications/unread_count") == 4
    assert await count(types=["favourite"]) == 2
    assert await count(exclude_types=["favourite", "follow"]) == 1
    assert await count(account_id=str(bob.user.id)) == 2
    assert await count(limit="3") == 3
    assert await count(limit="0") == 1  # clamped to at least one, like Mastodon's limits
    bad = await alice.get("/api/v1/notifications/unread_count", params={"account_id": "x"})
    assert bad.status_code == 422 and "account_id" in bad.json()["error"]
    bad = await alice.get("/api/v1/notifications/unread_count", params={"limit": "many"})
    assert bad.status_code == 422 and "limit" in bad.json()["error"]
    # Reading them on the notifications page is what marks them read.
    await notifications.mark_all_read(alice.user.id)
    assert await count() == 0
    assert await count("/api/v2/notifications/unread_count") == 0
    assert (await bob.get("/api/v1/notifications/unread_count")).json() == {"count": 0}
    assert (await client.get("/api/v1/notifications/unread_count")).status_code == 401


async def test_grouped_notifications_in_mastodons_shape(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    post = await alice.status("Hello")
    await follow(bob, alice)
    await like(bob, post["id"])
    naming = await mention(bob, "Thanks @alice")
    v1 = (await alice.get("/api/v1/notifications")).json()

    response = await alice.get("/api/v2/notifications", params={"expand_accounts": "full"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [a["username"] for a in body["accounts"]] == ["bob"]
    assert [s["id"] for s in body["statuses"]] == [naming["id"], post["id"]]
    groups = body["notification_groups"]
    assert [(g["type"], g["status_id"]) for g in groups] == [
        ("mention", naming["id"]),
        ("favourite", post["id"]),
        ("follow", None),
    ]
    for group, single in zip(groups, v1, strict=True):
        assert group == {
            "group_key": f"ungrouped-{single['id']}",
            "notifications_count": 1,
            "type": single["type"],
            "most_recent_notification_id": single["id"],
            "page_min_id": single["id"],
            "page_max_id": single["id"],
            "latest_page_notification_at": single["created_at"],
            "sample_account_ids": [str(bob.user.id)],
            "status_id": single["status"]["id"] if single["status"] else None,
        }

    first = await alice.get("/api/v2/notifications", params={"limit": "2"})
    assert len(first.json()["notification_groups"]) == 2
    older = links(first)["next"]
    assert older["max_id"] == [v1[1]["id"]]
    rest = await alice.get("/api/v2/notifications", params={"max_id": older["max_id"][0]})
    assert [g["type"] for g in rest.json()["notification_groups"]] == ["follow"]
    only = await alice.get("/api/v2/notifications", params={"types[]": "follow"})
    assert [g["type"] for g in only.json()["notification_groups"]] == ["follow"]
    assert only.json()["statuses"] == []
    bad = await alice.get("/api/v2/notifications", params={"expand_accounts": "some"})
    assert bad.status_code == 422 and "expand_accounts" in bad.json()["error"]


async def test_one_group_its_accounts_and_dismissing_it(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    await follow(bob, alice)
    [group] = (await alice.get("/api/v2/notifications")).json()["notification_groups"]
    key = group["group_key"]

    shown = await alice.get(f"/api/v2/notifications/{key}")
    assert shown.status_code == 200
    assert [g["group_key"] for g in shown.json()["notification_groups"]] == [key]
    accounts = await alice.get(f"/api/v2/notifications/{key}/accounts")
    assert [a["username"] for a in accounts.json()] == ["bob"]
    for stranger_key in ("favourite-1-2", "ungrouped-x", "ungrouped-99999"):
        assert (await alice.get(f"/api/v2/notifications/{stranger_key}")).status_code == 404
    assert (await bob.get(f"/api/v2/notifications/{key}")).status_code == 404
    assert (await bob.post(f"/api/v2/notifications/{key}/dismiss")).status_code == 404

    dismissed = await alice.post(f"/api/v2/notifications/{key}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json() == {}
    assert (await alice.get("/api/v2/notifications")).json()["notification_groups"] == []
    assert (await alice.post(f"/api/v2/notifications/{key}/dismiss")).status_code == 404


async def test_policy_accepts_everyone_and_no_request_is_pending(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    policy = await alice.get("/api/v2/notifications/policy")
    assert policy.status_code == 200
    assert policy.json()["for_not_following"] == "accept"
    assert policy.json()["summary"] == {
        "pending_requests_count": 0,
        "pending_notifications_count": 0,
    }
    same = await alice.patch("/api/v2/notifications/policy", data={"for_new_accounts": "accept"})
    assert same.status_code == 200 and same.json() == policy.json()
    refused = await alice.patch("/api/v2/notifications/policy", json={"for_new_accounts": "drop"})
    assert refused.status_code == 422 and "for_new_accounts" in refused.json()["error"]
    assert (await alice.get("/api/v1/notifications/requests")).json() == []
    assert (await alice.get("/api/v1/notifications/requests/merged")).json() == {"merged": True}
    reader = await caller(client, "bob", scopes="read")
    assert (await reader.patch("/api/v2/notifications/policy", data={})).status_code == 403
