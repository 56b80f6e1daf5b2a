"""/api/v1/conversations: a direct status posted through POST /api/v1/statuses starts or
continues a conversation; Mastodon's Conversation entity, paging with Link headers, read and
delete (removal until the next message), 404s for others' and bad ids, blocks, scopes;
the mention notification reaching only the mentioned; and Mastodon.py's conversation calls
against a running server."""

from __future__ import annotations

from typing import Any

import httpx
from httpx import AsyncClient, Response

from tasks.notification_jobs import notify
from tests.api.helpers import Caller, caller
from tests.api.test_real_clients import logged_in, make_user
from tests.api.test_timelines import links
from tests.helpers import NO_CONTEXT


async def direct(author: Caller, text: str) -> dict[str, Any]:
    return await author.status(text, visibility="direct")


def conversations(response: Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_direct_status_starts_a_conversation_in_mastodons_shape(
    client: AsyncClient,
) -> None:
    alice, bob, carol = (
        await caller(client, "alice"),
        await caller(client, "bob"),
        await caller(client, "carol"),
    )
    status = await direct(alice, "@bob hello there")
    assert status["visibility"] == "direct"
    [seen] = conversations(await bob.get("/api/v1/conversations"))
    assert set(seen) == {"id", "unread", "accounts", "last_status"}
    assert seen["unread"] is True
    assert [account["username"] for account in seen["accounts"]] == ["alice"]
    assert seen["last_status"]["id"] == status["id"]
    assert seen["last_status"]["visibility"] == "direct"
    [own] = conversations(await alice.get("/api/v1/conversations"))
    assert own["id"] == seen["id"] and own["unread"] is False
    assert [account["username"] for account in own["accounts"]] == ["bob"]
    # A reply to everyone in it continues the same conversation.
    answer = await direct(bob, "@alice hi back")
    [again] = conversations(await alice.get("/api/v1/conversations"))
    assert again["id"] == seen["id"] and again["unread"] is True
    assert again["last_status"]["id"] == answer["id"]
    # Naming someone else too starts another one.
    await direct(alice, "@bob @carol all three")
    assert len(conversations(await alice.get("/api/v1/conversations"))) == 2
    [with_carol] = conversations(await carol.get("/api/v1/conversations"))
    assert sorted(a["username"] for a in with_carol["accounts"]) == ["alice", "bob"]
    # Other visibilities make no conversation.
    await alice.status("@bob followers only", visibility="private")
    assert len(conversations(await bob.get("/api/v1/conversations"))) == 2


async def test_a_reply_to_a_message_continues_its_conversation(client: AsyncClient) -> None:
    """What Mastodon clients send to answer a direct message: `in_reply_to_id` naming it."""
    alice, bob, carol = (
        await caller(client, "alice"),
        await caller(client, "bob"),
        await caller(client, "carol"),
    )
    first = await direct(alice, "@bob are you there?")
    answer = await bob.status("yes", in_reply_to_id=first["id"], visibility="direct")
    assert answer["visibility"] == "direct" and not answer["id"].startswith("c")
    assert answer["mentions"][0]["username"] == "alice"
    [seen] = conversations(await alice.get("/api/v1/conversations"))
    assert seen["last_status"]["id"] == answer["id"] and seen["unread"] is True
    assert len(conversations(await bob.get("/api/v1/conversations"))) == 1
    # Someone outside it cannot answer, as for any post they may not see.
    outside = await carol.post(
        "/api/v1/statuses", data={"status": "me too", "in_reply_to_id": first["id"]}
    )
    assert outside.status_code == 404
    # A reply to another visibility stays a comment.
    public = await alice.status("@bob in public")
    comment = await bob.status("a comment", in_reply_to_id=public["id"])
    assert comment["id"].startswith("c")


async def test_read_and_delete(client: AsyncClient) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    await direct(alice, "@bob one")
    [seen] = conversations(await bob.get("/api/v1/conversations"))
    read = await bob.post(f"/api/v1/conversations/{seen['id']}/read")
    assert read.status_code == 200, read.text
    assert read.json()["id"] == seen["id"] and read.json()["unread"] is False
    assert conversations(await bob.get("/api/v1/conversations"))[0]["unread"] is False
    deleted = await bob.delete(f"/api/v1/conversations/{seen['id']}")
    assert deleted.status_code == 200 and deleted.json() == {}
    assert conversations(await bob.get("/api/v1/conversations")) == []
    # Its statuses stay; the other participant keeps the conversation.
    assert (await bob.get(f"/api/v1/statuses/{seen['last_status']['id']}")).status_code == 200
    assert len(conversations(await alice.get("/api/v1/conversations"))) == 1
    # A new message brings it back, unread.
    await direct(alice, "@bob two")
    [back] = conversations(await bob.get("/api/v1/conversations"))
    assert back["id"] == seen["id"] and back["unread"] is True


async def test_others_and_bad_ids_are_404(client: AsyncClient) -> None:
    alice, _, carol = (
        await caller(client, "alice"),
        await caller(client, "bob"),
        await caller(client, "carol"),
    )
    status = await direct(alice, "@bob private words")
    [seen] = conversations(await alice.get("/api/v1/conversations"))
    assert conversations(await carol.get("/api/v1/conversations")) == []
    for response in (
        await carol.post(f"/api/v1/conversations/{seen['id']}/read"),
        await carol.delete(f"/api/v1/conversations/{seen['id']}"),
        await alice.post("/api/v1/conversations/999999/read"),
        await alice.post("/api/v1/conversations/abc/read"),
        await alice.delete("/api/v1/conversations/99999999999999999999"),
        await carol.get(f"/api/v1/statuses/{status['id']}"),
    ):
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"error"}
    found = await carol.get("/api/v2/search", params={"q": "private words", "type": "statuses"})
    assert found.json()["statuses"] == []
    # Alice's list is untouched by carol's attempts.
    assert conversations(await alice.get("/api/v1/conversations"))[0]["unread"] is False


async def test_paging_by_the_newest_message(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    friends = [await caller(client, f"friend{n}") for n in range(5)]
    for friend in friends:
        await direct(alice, f"@{friend.user.username} hi")
    first = await alice.get("/api/v1/conversations", params={"limit": "2"})
    page = conversations(first)
    assert [c["accounts"][0]["username"] for c in page] == ["friend4", "friend3"]
    around = links(first)
    assert around["next"]["max_id"] == [page[-1]["last_status"]["id"]]
    assert around["prev"]["min_id"] == [page[0]["last_status"]["id"]]
    second = await alice.get("/api/v1/conversations", params=dict(around["next"]))
    assert [c["accounts"][0]["username"] for c in conversations(second)] == [
        "friend2",
        "friend1",
    ]
    newer = await alice.get(
        "/api/v1/conversations", params={"min_id": page[-1]["last_status"]["id"]}
    )
    assert [c["accounts"][0]["username"] for c in conversations(newer)] == ["friend4"]
    since = await alice.get(
        "/api/v1/conversations", params={"since_id": page[-1]["last_status"]["id"]}
    )
    assert [c["accounts"][0]["username"] for c in conversations(since)] == ["friend4"]
    last = await alice.get(
        "/api/v1/conversations", params={"max_id": page[0]["last_status"]["id"], "limit": "40"}
    )
    assert len(conversations(last)) == 4 and "next" not in links(last)
    bad = await alice.get("/api/v1/conversations", params={"max_id": "x"})
    assert bad.status_code == 422 and "error" in bad.json()


async def test_blocks_refuse_direct_statuses_and_hide_conversations(
    client: AsyncClient,
) -> None:
    alice, bob = await caller(client, "alice"), await caller(client, "bob")
    await direct(alice, "@bob before")
    assert (await bob.post(f"/api/v1/accounts/{alice.user.id}/block")).status_code == 200
    refused = await alice.post(
        "/api/v1/statuses", data={"status": "@bob after", "visibility": "direct"}
    )
    assert refused.status_code == 403
    assert "blocked you" in refused.json()["error"]
    own = await bob.post("/api/v1/statuses", data={"status": "@alice hi", "visibility": "direct"})
    assert own.status_code == 403
    assert conversations(await alice.get("/api/v1/conversations")) == []
    assert conversations(await bob.get("/api/v1/conversations")) == []


async def test_the_mention_notification_reaches_only_the_mentioned(client: AsyncClient) -> None:
    alice, bob, carol = (
        await caller(client, "alice"),
        await caller(client, "bob"),
        await caller(client, "carol"),
    )
    status = await direct(alice, "@bob for you only")
    await notify(NO_CONTEXT, kind="mention", post_id=int(status["id"]))
    [note] = (await bob.get("/api/v1/notifications")).json()
    assert note["type"] == "mention" and note["status"]["id"] == status["id"]
    assert (await carol.get("/api/v1/notifications")).json() == []
    assert (await alice.get("/api/v1/notifications")).json() == []


async def test_scopes(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await caller(client, "bob")
    await direct(alice, "@bob hi")
    [seen] = conversations(await alice.get("/api/v1/conversations"))
    reader = await caller(client, "carol", scopes="read:statuses")
    assert (await reader.get("/api/v1/conversations")).status_code == 200
    assert (await reader.post(f"/api/v1/conversations/{seen['id']}/read")).status_code == 403
    assert (await reader.delete(f"/api/v1/conversations/{seen['id']}")).status_code == 403
    writer = await caller(client, "dave", scopes="write:conversations")
    assert (await writer.get("/api/v1/conversations")).status_code == 403
    assert (await writer.post(f"/api/v1/conversations/{seen['id']}/read")).status_code == 404
    assert (await client.get("/api/v1/conversations")).status_code == 401


def test_mastodon_py_lists_reads_pages_and_deletes_conversations(live_server: str) -> None:
    for name in ("alice", "bob", "carol"):
        make_user(name)
    alice, bob = logged_in(live_server, "alice"), logged_in(live_server, "bob")
    first = alice.status_post("@bob hello from Mastodon.py", visibility="direct")
    alice.status_post("@carol and you", visibility="direct")
    answer = bob.status_reply(first, "hello back", visibility="direct")
    page = alice.conversations(limit=1)
    assert [c.last_status.id for c in page] == [answer.id]
    assert page[0].unread is True and [a.username for a in page[0].accounts] == ["bob"]
    older = alice.fetch_next(page)
    assert older is not None and [c.accounts[0].username for c in older] == ["carol"]
    assert alice.conversations_read(page[0].id).unread is False
    assert bob.conversations()[0].last_status.in_reply_to_id is None
    # Mastodon.py has no call for removing one; send what other clients do, with its token.
    removed = httpx.delete(
        f"{live_server}/api/v1/conversations/{page[0].id}",
        headers={"Authorization": f"Bearer {alice.access_token}"},
    )
    assert removed.status_code == 200, removed.text
    assert [c.accounts[0].username for c in alice.conversations()] == ["carol"]
    assert first.visibility == "direct"
