"""/api/v1/notifications: Mastodon's shape and types, paging, filters, dismiss and clear,
scopes; and Mastodon.py's notification calls against a running server.

Notifications are made as in production: the API call records a `notify` job, and the test
runs the job function with the payload it recorded (no worker runs alongside the API app)."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from domain import accounts, notifications, posts, social
from tasks.notification_jobs import notify
from tests.api.helpers import Caller, caller
from tests.api.test_real_clients import logged_in, make_user
from tests.api.test_timelines import ids, links
from tests.conftest import run_async
from tests.helpers import NO_CONTEXT


async def like(fan: Caller, post_id: str) -> None:
    response = await fan.post(f"/api/v1/statuses/{post_id}/favourite")
    assert response.status_code == 200, response.text
    await notify(NO_CONTEXT, kind="like", actor_id=fan.user.id, post_id=int(post_id))


async def follow(fan: Caller, followed: Caller) -> None:
    response = await fan.post(f"/api/v1/accounts/{followed.user.id}/follow")
    assert response.status_code == 200, response.text
    await notify(NO_CONTEXT, kind="follow", actor_id=fan.user.id, user_id=followed.user.id)


async def reply(author: Caller, to: str, text: str) -> dict[str, Any]:
    status = await author.status(text, in_reply_to_id=to)
    await notify(NO_CONTEXT, kind="comment", comment_id=int(status["id"].removeprefix("c")))
    return status


async def mention(author: Caller, text: str) -> dict[str, Any]:
    status = await author.status(text)
    await notify(NO_CONTEXT, kind="mention", post_id=int(status["id"]))
    return status


async def test_each_kind_in_mastodons_shape(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    post = await alice.status("Hello")
    await follow(bob, alice)
    await like(bob, post["id"])
    comment = await reply(bob, post["id"], "Nice post")
    naming = await mention(bob, "Thanks @alice")

    response = await alice.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    found = response.json()
    assert [(n["type"], n["account"]["username"]) for n in found] == [
        ("mention", "bob"),
        ("mention", "bob"),
        ("favourite", "bob"),
        ("follow", "bob"),
    ]
    assert [n["status"]["id"] if n["status"] else None for n in found] == [
        naming["id"],
        comment["id"],
        post["id"],
        None,
    ]
    assert found[1]["status"]["in_reply_to_id"] == post["id"]
    assert found[2]["status"]["favourites_count"] == 1
    for entity in found:
        assert entity["group_key"] == f"ungrouped-{entity['id']}"
        assert entity["created_at"].endswith("Z")
    one = await alice.get(f"/api/v1/notifications/{found[3]['id']}")
    assert one.status_code == 200 and one.json() == found[3]
    # Bob sees none of Alice's, and nothing for his own actions.
    assert ids(await bob.get("/api/v1/notifications")) == []
    assert (await bob.get(f"/api/v1/notifications/{found[0]['id']}")).status_code == 404
    assert (await alice.get("/api/v1/notifications/nonsense")).status_code == 404


async def test_a_reply_to_a_comment_is_a_mention_with_the_reply(client: AsyncClient) -> None:
    alice, bob, carol = [await caller(client, name) for name in ("alice", "bob", "carol")]
    post = await alice.status("Thread")
    bobs = await reply(bob, post["id"], "First")
    carols = await reply(carol, bobs["id"], "Second")
    found = (await bob.get("/api/v1/notifications")).json()
    assert [(n["type"], n["status"]["id"]) for n in found] == [("mention", carols["id"])]
    assert found[0]["status"]["in_reply_to_id"] == bobs["id"]


async def test_types_and_exclude_types_filter(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    post = await alice.status("Hello")
    await follow(bob, alice)
    await like(bob, post["id"])
    await mention(bob, "Hi @alice")

    def types(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [n["type"] for n in response.json()]

    url = "/api/v1/notifications"
    assert types(await alice.get(url, params=[("types[]", "follow")])) == ["follow"]
    both = [("types[]", "follow"), ("types[]", "favourite")]
    assert types(await alice.get(url, params=both)) == ["favourite", "follow"]
    excluded = [("exclude_types[]", "mention"), ("exclude_types[]", "follow")]
    assert types(await alice.get(url, params=excluded)) == ["favourite"]
    assert types(await alice.get(url, params=[("types[]", "reblog")])) == []


async def test_paging_by_notification_id_with_link_headers(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    for n in range(5):
        await like(bob, (await alice.status(f"Post {n}"))["id"])
    everything = ids(await alice.get("/api/v1/notifications"))
    assert len(everything) == 5 and everything == sorted(everything, key=int, reverse=True)

    first = await alice.get("/api/v1/notifications", params={"limit": 2})
    assert ids(first) == everything[:2]
    assert links(first)["next"]["max_id"] == [everything[1]]
    assert links(first)["prev"]["min_id"] == [everything[0]]
    second = await alice.get("/api/v1/notifications", params=links(first)["next"])
    assert ids(second) == everything[2:4]
    last = await alice.get("/api/v1/notifications", params=links(second)["next"])
    assert ids(last) == everything[4:] and "next" not in links(last)
    newer = await alice.get("/api/v1/notifications", params={"since_id": everything[2]})
    assert ids(newer) == everything[:2]
    after = await alice.get("/api/v1/notifications", params={"min_id": everything[4], "limit": 2})
    assert ids(after) == everything[2:4]
    filtered = await alice.get(
        "/api/v1/notifications", params=[("types[]", "favourite"), ("limit", "2")]
    )
    assert links(filtered)["next"]["types[]"] == ["favourite"]


async def test_dismiss_and_clear(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    for n in range(3):
        await like(bob, (await alice.status(f"Post {n}"))["id"])
    found = ids(await alice.get("/api/v1/notifications"))
    # Only one's own notifications can be dismissed.
    assert (await bob.post(f"/api/v1/notifications/{found[0]}/dismiss")).status_code == 404
    dismissed = await alice.post(f"/api/v1/notifications/{found[0]}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json() == {}
    assert ids(await alice.get("/api/v1/notifications")) == found[1:]
    assert (await alice.post(f"/api/v1/notifications/{found[0]}/dismiss")).status_code == 404
    cleared = await alice.post("/api/v1/notifications/clear")
    assert cleared.status_code == 200 and cleared.json() == {}
    assert ids(await alice.get("/api/v1/notifications")) == []
    assert await notifications.unread_count(alice.user.id) == 0


async def test_scopes(client: AsyncClient) -> None:
    reader = await caller(client, "alice", scopes="read:notifications")
    assert (await reader.get("/api/v1/notifications")).status_code == 200
    assert (await reader.post("/api/v1/notifications/clear")).status_code == 403
    assert (await reader.post("/api/v1/notifications/1/dismiss")).status_code == 403
    writer = await caller(client, "bob", scopes="write:notifications")
    assert (await writer.get("/api/v1/notifications")).status_code == 403
    assert (await writer.post("/api/v1/notifications/clear")).status_code == 200
    statuses_only = await caller(client, "carol", scopes="read:statuses")
    assert (await statuses_only.get("/api/v1/notifications")).status_code == 403
    assert (await client.get("/api/v1/notifications")).status_code == 401


def test_mastodon_py_reads_dismisses_and_clears_notifications(live_server: str) -> None:
    make_user("alice")
    make_user("bob")

    async def bob_follows_and_likes() -> int:
        alice, bob = await accounts.find_user("alice"), await accounts.find_user("bob")
        assert alice is not None and bob is not None
        post = await posts.publish(alice, "Hello from Alice")
        await social.follow(bob, alice.id)
        await posts.favourite(bob, post.id)
        await posts.publish(bob, "Hi Alice", in_reply_to=posts.ReplyTarget(post.id))
        await notify(NO_CONTEXT, kind="follow", actor_id=bob.id, user_id=alice.id)
        await notify(NO_CONTEXT, kind="like", actor_id=bob.id, post_id=post.id)
        comment = (await posts.comment_thread(post.id))[0]
        await notify(NO_CONTEXT, kind="comment", comment_id=comment.id)
        return post.id

    post_id = run_async(bob_follows_and_likes)
    api = logged_in(live_server, "alice")
    found = api.notifications()
    assert [n.type for n in found] == ["mention", "favourite", "follow"]
    assert found[1].status.id == str(post_id) and found[2].account.username == "bob"
    assert [n.type for n in api.notifications(types=["follow"])] == ["follow"]
    assert [n.type for n in api.notifications(exclude_types=["mention"])] == [
        "favourite",
        "follow",
    ]
    first = api.notifications(limit=1)
    second = api.fetch_next(first)
    assert second is not None and [n.id for n in second] == [found[1].id]
    assert api.notifications(id=found[2].id).type == "follow"
    api.notifications_dismiss(found[0].id)
    assert [n.id for n in api.notifications()] == [found[1].id, found[2].id]
    api.notifications_clear()
    assert api.notifications() == []


async def test_the_openapi_schema_describes_the_notification_routes(client: AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    routes = (
        ("/api/v1/notifications", "get", "read:notifications"),
        ("/api/v1/notifications/{notification_id}", "get", "read:notifications"),
        ("/api/v1/notifications/clear", "post", "write:notifications"),
        ("/api/v1/notifications/{notification_id}/dismiss", "post", "write:notifications"),
    )
    for path, method, scope in routes:
        operation = paths[path][method]
        assert operation["description"], path
        assert operation["security"] == [{"OAuth2": [scope]}], path
