"""/api/v1/statuses: create, reply, read, delete, context, favourite, bookmark."""

from __future__ import annotations

import asyncio
import re

from httpx import AsyncClient

from domain.accounts import User
from domain.posts import Comment, Post
from tests.api.helpers import caller, make_user


async def test_create_status_returns_a_mastodon_status(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    status = await alice.status("Hello #Agora, see https://example.org & <b>this</b>")
    assert status["id"].isdigit()
    assert status["account"]["username"] == "alice"
    assert status["account"]["acct"] == "alice"
    assert status["account"]["statuses_count"] == 1
    assert status["visibility"] == "public" and status["in_reply_to_id"] is None
    assert status["url"] == f"http://agora.test/@alice/{status['id']}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["created_at"])
    assert status["text"] == "Hello #Agora, see https://example.org & <b>this</b>"
    # Sanitized: the user's markup is escaped, links and tags are Agora's own.
    assert "<b>" not in status["content"] and "&lt;b&gt;" in status["content"]
    assert '<a href="https://example.org"' in status["content"]
    assert status["tags"] == [
        {"name": "agora", "url": "http://agora.test/tags/agora", "history": []}
    ]
    assert status["favourites_count"] == 0 and status["replies_count"] == 0
    assert status["favourited"] is False and status["bookmarked"] is False
    for key in ("media_attachments", "mentions", "emojis", "reblog", "poll", "card", "sensitive"):
        assert key in status


async def test_create_status_accepts_json(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    response = await alice.post(
        "/api/v1/statuses", json={"status": "from JSON", "visibility": None}
    )
    assert response.status_code == 200 and response.json()["text"] == "from JSON"


async def test_empty_too_long_and_unsupported_statuses_are_422(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    for data in (
        {"status": ""},
        {"status": "   "},
        {"status": "x" * 501},
        {"status": "hi", "visibility": "friends"},
        {"status": "hi", "visibility": "Public"},
        {"status": "hi", "media_ids[]": "1"},
        {"status": "hi", "spoiler_text": "cw"},
        {"status": "hi", "scheduled_at": "2030-01-01T00:00:00Z"},
    ):
        response = await alice.post("/api/v1/statuses", data=data)
        assert response.status_code == 422, data
        assert isinstance(response.json()["error"], str)
    assert await Post.count() == 0
    assert (await alice.post("/api/v1/statuses", data={"status": "x" * 500})).status_code == 200


async def test_malformed_json_is_422(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    response = await alice.post(
        "/api/v1/statuses",
        content=b"{nope",
        headers={**alice.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422


async def test_idempotency_key_posts_once(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    headers = {**alice.headers, "Idempotency-Key": "abc-123"}
    first = await client.post("/api/v1/statuses", data={"status": "once"}, headers=headers)
    second = await client.post("/api/v1/statuses", data={"status": "once"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert await Post.count() == 1
    other = await client.post(
        "/api/v1/statuses",
        data={"status": "once"},
        headers={**alice.headers, "Idempotency-Key": "k2"},
    )
    assert other.json()["id"] != first.json()["id"]


async def test_idempotency_key_holds_under_concurrent_retries(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    headers = {**alice.headers, "Idempotency-Key": "same"}
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/statuses", data={"status": "race"}, headers=headers)
            for _ in range(5)
        )
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Post.count() == 1


async def test_failed_creation_does_not_burn_the_idempotency_key(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    headers = {**alice.headers, "Idempotency-Key": "retry"}
    bad = await client.post("/api/v1/statuses", data={"status": ""}, headers=headers)
    assert bad.status_code == 422
    good = await client.post("/api/v1/statuses", data={"status": "fixed"}, headers=headers)
    assert good.status_code == 200


async def test_keys_are_per_user(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    a = await client.post(
        "/api/v1/statuses", data={"status": "a"}, headers={**alice.headers, "Idempotency-Key": "k"}
    )
    b = await client.post(
        "/api/v1/statuses", data={"status": "b"}, headers={**bob.headers, "Idempotency-Key": "k"}
    )
    assert a.json()["id"] != b.json()["id"]


async def test_replies_are_comments_with_prefixed_ids(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("A post")
    reply = await bob.status("A reply", in_reply_to_id=post["id"])
    comment = await Comment.select(Comment.id).first()
    assert comment is not None
    assert reply["id"] == f"c{comment['id']}"
    assert reply["in_reply_to_id"] == post["id"]
    assert reply["in_reply_to_account_id"] == str(alice.user.id)
    assert reply["url"].endswith(f"/@alice/{post['id']}#comment-{reply['id'][1:]}")
    nested = await alice.status("A reply to the reply", in_reply_to_id=reply["id"])
    assert nested["in_reply_to_id"] == reply["id"]
    assert nested["in_reply_to_account_id"] == str(bob.user.id)
    shown = (await client.get(f"/api/v1/statuses/{post['id']}")).json()
    assert shown["replies_count"] == 2
    assert (await client.get(f"/api/v1/statuses/{reply['id']}")).json()["replies_count"] == 1


async def test_reply_to_a_missing_status_is_404(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    for target in ("999", "c999", "nonsense"):
        response = await alice.post(
            "/api/v1/statuses", data={"status": "hi", "in_reply_to_id": target}
        )
        assert response.status_code == 404, target
    assert await Comment.count() == 0


async def test_context_lists_ancestors_and_descendants(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("root")
    first = await bob.status("first", in_reply_to_id=post["id"])
    second = await alice.status("second", in_reply_to_id=post["id"])
    under_first = await alice.status("under first", in_reply_to_id=first["id"])
    deeper = await bob.status("deeper", in_reply_to_id=under_first["id"])

    context = (await client.get(f"/api/v1/statuses/{post['id']}/context")).json()
    assert context["ancestors"] == []
    ids = [s["id"] for s in context["descendants"]]
    assert ids == [first["id"], under_first["id"], deeper["id"], second["id"]]

    middle = (await client.get(f"/api/v1/statuses/{under_first['id']}/context")).json()
    assert [s["id"] for s in middle["ancestors"]] == [post["id"], first["id"]]
    assert [s["id"] for s in middle["descendants"]] == [deeper["id"]]
    assert (await client.get("/api/v1/statuses/c424242/context")).status_code == 404


async def test_get_status_and_missing_ids(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("visible")
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).json()["text"] == "visible"
    for missing in ("12345", "c1", "abc", "-1", "1" * 30):
        assert (await client.get(f"/api/v1/statuses/{missing}")).status_code == 404, missing
    assert (await client.get("/api/v1/statuses/12345")).json() == {"error": "Record not found"}


async def test_suspended_authors_statuses_are_hidden(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("soon hidden")
    await User.update({User.is_suspended: True}).where(User.id == alice.user.id)
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).status_code == 404


async def test_replying_to_a_hidden_status_is_404(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("soon hidden")
    comment = await alice.status("my own reply", in_reply_to_id=post["id"])
    await User.update({User.is_suspended: True}).where(User.id == alice.user.id)
    for target in (post["id"], comment["id"]):
        response = await bob.post(
            "/api/v1/statuses", data={"status": "hi", "in_reply_to_id": target}
        )
        assert response.status_code == 404, target
    assert await Comment.count() == 1


async def test_delete_own_status_returns_it_and_others_cannot(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("to delete")
    reply = await bob.status("bob's reply", in_reply_to_id=post["id"])
    assert (await bob.delete(f"/api/v1/statuses/{post['id']}")).status_code == 403
    assert (await bob.delete("/api/v1/statuses/999")).status_code == 404
    deleted_reply = await bob.delete(f"/api/v1/statuses/{reply['id']}")
    assert deleted_reply.status_code == 200 and deleted_reply.json()["text"] == "bob's reply"
    assert await Comment.count() == 0
    deleted = await alice.delete(f"/api/v1/statuses/{post['id']}")
    assert deleted.status_code == 200 and deleted.json()["text"] == "to delete"
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).status_code == 404
    reader = await caller(client, "carol", scopes="read")
    assert (await reader.delete(f"/api/v1/statuses/{post['id']}")).status_code == 403


async def test_post_author_may_delete_comments_on_their_post(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("mine")
    reply = await bob.status("on yours", in_reply_to_id=post["id"])
    assert (await alice.delete(f"/api/v1/statuses/{reply['id']}")).status_code == 200


async def test_favourite_and_bookmark_round_trip(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("like me")
    url = f"/api/v1/statuses/{post['id']}"
    liked = (await bob.post(f"{url}/favourite")).json()
    assert liked["favourited"] is True and liked["favourites_count"] == 1
    again = (await bob.post(f"{url}/favourite")).json()  # idempotent
    assert again["favourites_count"] == 1
    marked = (await bob.post(f"{url}/bookmark")).json()
    assert marked["bookmarked"] is True and marked["favourited"] is True
    # The flags are the viewer's own: alice sees the count but not bob's flags.
    seen_by_alice = (await alice.get(url)).json()
    assert seen_by_alice["favourites_count"] == 1 and seen_by_alice["favourited"] is False
    assert seen_by_alice["bookmarked"] is False
    anonymous = (await client.get(url)).json()
    assert anonymous["favourited"] is False
    by = (await client.get(f"{url}/favourited_by")).json()
    assert [a["username"] for a in by] == ["bob"]
    unliked = (await bob.post(f"{url}/unfavourite")).json()
    assert unliked["favourited"] is False and unliked["favourites_count"] == 0
    unmarked = (await bob.post(f"{url}/unbookmark")).json()
    assert unmarked["bookmarked"] is False


async def test_favourite_and_bookmark_bad_paths(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("post")
    reply = await alice.status("reply", in_reply_to_id=post["id"])
    for action in ("favourite", "unfavourite", "bookmark", "unbookmark"):
        assert (await alice.post(f"/api/v1/statuses/999/{action}")).status_code == 404
        assert (await alice.post(f"/api/v1/statuses/{reply['id']}/{action}")).status_code == 422
        assert (await client.post(f"/api/v1/statuses/{post['id']}/{action}")).status_code == 401
    assert (await client.get(f"/api/v1/statuses/{reply['id']}/favourited_by")).json() == []
    assert (await client.get("/api/v1/statuses/999/favourited_by")).status_code == 404
    no_favourites = await caller(client, "bob", scopes="write:bookmarks")
    assert (await no_favourites.post(f"/api/v1/statuses/{post['id']}/favourite")).status_code == 403
    assert (await no_favourites.post(f"/api/v1/statuses/{post['id']}/bookmark")).status_code == 200


async def test_favourited_by_pages_with_link_headers(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("popular")
    for name in ("b1", "b2", "b3"):
        fan = await caller(client, name)
        await fan.post(f"/api/v1/statuses/{post['id']}/favourite")
    first = await client.get(f"/api/v1/statuses/{post['id']}/favourited_by", params={"limit": 2})
    assert [a["username"] for a in first.json()] == ["b3", "b2"]
    next_url = re.search(r'<([^>]+)>; rel="next"', first.headers["link"])
    assert next_url
    rest = await client.get(next_url.group(1))
    assert [a["username"] for a in rest.json()] == ["b1"]


async def test_create_needs_a_user_token(client: AsyncClient) -> None:
    assert (await client.post("/api/v1/statuses", data={"status": "x"})).status_code == 401
    await make_user("alice")
    assert await Post.count() == 0


async def test_content_links_are_absolute_and_mentions_are_listed(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await make_user("bob")
    status = await alice.status("Hi @Bob and @nobody, see #tea")
    assert 'href="http://agora.test/@Bob"' in status["content"]
    assert 'href="http://agora.test/tags/tea"' in status["content"]
    assert 'href="/' not in status["content"]
    assert status["mentions"] == [
        {"id": str(bob.id), "username": "bob", "acct": "bob", "url": "http://agora.test/@bob"}
    ]
    reply = await alice.status("@bob thanks", in_reply_to_id=status["id"])
    assert [m["username"] for m in reply["mentions"]] == ["bob"]


async def test_context_skips_comments_by_suspended_authors(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    post = await alice.status("root")
    bobs = await bob.status("bob's comment", in_reply_to_id=post["id"])
    answer = await alice.status("answer to bob", in_reply_to_id=bobs["id"])
    await User.update({User.is_suspended: True}).where(User.id == bob.user.id)
    context = (await client.get(f"/api/v1/statuses/{answer['id']}/context")).json()
    assert [s["id"] for s in context["ancestors"]] == [post["id"]]
    assert (await client.get(f"/api/v1/statuses/{bobs['id']}")).status_code == 404
    whole = (await client.get(f"/api/v1/statuses/{post['id']}/context")).json()
    assert [s["id"] for s in whole["descendants"]] == [answer["id"]]
