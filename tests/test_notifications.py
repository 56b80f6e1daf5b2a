"""Notifications end to end: the writes record a `notify` job, the app relays it, a real SAQ
worker runs it, and the page shows the result; plus the rules (no duplicates, nobody told of
their own actions), marking read, paging, and the login and CSRF checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient
from litestar import Litestar
from saq import Worker

from domain import accounts, notifications, posts, social
from domain.accounts import User
from domain.notifications import Notification
from tasks import worker as worker_settings
from tasks.notification_jobs import notify
from tasks.queue import WorkerContext
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import (
    NO_CONTEXT,
    htmx_headers,
    post_form,
    registered_functions,
    settled,
    spoken_link,
    write_post,
)

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def user(username: str) -> User:
    found = await accounts.find_user(username)
    assert found is not None
    return found


async def kinds_for(username: str) -> list[tuple[str, str]]:
    """(kind, actor's username) of the user's notifications, newest first."""
    page = await notifications.page((await user(username)).id)
    return [(item.kind, item.actor_username) for item in page.items]


def nav_link(page: str) -> str:
    """The main nav's Notifications link as a screen reader says it (the badge is hidden)."""
    spoken = spoken_link(page, "nav-notifications")
    assert spoken is not None, "the main nav has a Notifications link"
    return spoken


async def test_every_kind_is_created_in_the_background_and_shown(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice, bob, carol = await members("alice"), await members("bob"), await members("carol")
    post_id = await write_post(alice, "What do you think?")
    # Each action's job is let finish before the next: the worker runs jobs side by side, and
    # notifications are listed in the order their jobs made them.
    assert (await post_form(bob, "/@alice/follow", {})).status_code == 303
    await settled(app)
    assert (await post_form(bob, f"/posts/{post_id}/like", {})).status_code == 303
    await settled(app)
    await post_form(bob, f"/posts/{post_id}/comments", {"text": "Bob's comment"})
    await settled(app)
    bobs_comment = (await posts.comment_thread(post_id))[0].id
    reply = {"text": "Carol answers Bob", "parent_id": str(bobs_comment)}
    await post_form(carol, f"/posts/{post_id}/comments", reply)
    await settled(app)
    mention_id = await write_post(bob, "Hello @Alice and @nobody")
    await settled(app)

    assert await kinds_for("alice") == [
        ("mention", "bob"),
        ("comment", "carol"),
        ("comment", "bob"),
        ("like", "bob"),
        ("follow", "bob"),
    ]
    assert await kinds_for("bob") == [("reply", "carol")]
    assert await kinds_for("carol") == []

    page = (await alice.get("/notifications")).text
    assert "<h1>Notifications</h1>" in page
    assert nav_link(page) == "Notifications, 5 unread"
    for verb in ("followed you", "liked your post", "commented on your post", "mentioned you"):
        assert verb in page
    assert page.count(">New<") == 5
    assert 'href="/@bob"' in page and 'href="/@carol"' in page
    assert f'href="/@alice/{post_id}"' in page  # the liked post
    assert f'href="/@bob/{mention_id}"' in page  # the post mentioning her
    assert f'href="/@alice/{post_id}#comment-{bobs_comment}"' in page
    assert "“Bob&#39;s comment”" in page
    bobs_page = (await bob.get("/notifications")).text
    assert "replied to your comment" in bobs_page and "Carol answers Bob" in bobs_page


async def test_repeated_events_and_retried_jobs_notify_once(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice, bob = await members("alice"), await members("bob")
    post_id = await write_post(alice, "Like me")
    for action in ("like", "unlike", "like"):
        await post_form(bob, f"/posts/{post_id}/{action}", {})
    for action in ("follow", "unfollow", "follow"):
        await post_form(bob, f"/@alice/{action}", {})
    await settled(app)
    assert await kinds_for("alice") == [("follow", "bob"), ("like", "bob")]
    # A retried or re-relayed job adds nothing.
    bob_id, alice_id = (await user("bob")).id, (await user("alice")).id
    assert await notify(NO_CONTEXT, kind="like", actor_id=bob_id, post_id=post_id) == 0
    assert await notify(NO_CONTEXT, kind="follow", actor_id=bob_id, user_id=alice_id) == 0
    assert await Notification.count() == 2


async def test_the_database_refuses_duplicates_and_self_notifications(members: Members) -> None:
    await members("alice")
    await members("bob")
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        insert = (
            "INSERT INTO notification (recipient, actor, kind) "
            "SELECT a.id, b.id, 'follow' FROM agora_user a, agora_user b "
            "WHERE a.username = $1 AND b.username = $2"
        )
        await connection.execute(insert, "alice", "bob")
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(insert, "alice", "bob")
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(insert, "alice", "alice")
    finally:
        await connection.close()


async def test_nobody_is_notified_of_their_own_actions(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "Talking to myself, @alice")
    await post_form(alice, f"/posts/{post_id}/like", {})
    await post_form(alice, f"/posts/{post_id}/comments", {"text": "Me again"})
    own = (await posts.comment_thread(post_id))[0].id
    await post_form(
        alice, f"/posts/{post_id}/comments", {"text": "And again", "parent_id": str(own)}
    )
    await settled(app)
    assert await Notification.count() == 0
    assert nav_link((await alice.get("/")).text) == "Notifications"


async def test_a_reply_to_the_authors_own_comment_notifies_them_once(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice, bob = await members("alice"), await members("bob")
    post_id = await write_post(alice, "Thread")
    await post_form(alice, f"/posts/{post_id}/comments", {"text": "First!"})
    first = (await posts.comment_thread(post_id))[0].id
    await post_form(bob, f"/posts/{post_id}/comments", {"text": "Hi", "parent_id": str(first)})
    await settled(app)
    assert await kinds_for("alice") == [("reply", "bob")]


async def test_deleting_the_post_removes_its_notifications(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice, bob = await members("alice"), await members("bob")
    post_id = await write_post(alice, "Soon gone")
    await post_form(bob, f"/posts/{post_id}/like", {})
    await settled(app)
    assert await kinds_for("alice") == [("like", "bob")]
    await posts.delete_post(await user("alice"), post_id)
    assert await kinds_for("alice") == []
    assert "Nothing yet." in (await alice.get("/notifications")).text


async def _two_unread(app: Litestar, members: Members) -> AsyncClient:
    alice = await members("alice")
    await members("bob")
    await members("carol")
    for name in ("bob", "carol"):
        await social.follow(await user(name), (await user("alice")).id)
    await settled(app)
    return alice


async def test_mark_all_as_read_without_javascript(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice = await _two_unread(app, members)
    page = (await alice.get("/notifications")).text
    assert nav_link(page) == "Notifications, 2 unread"
    assert "You have 2 unread notifications." in page
    assert page.count(">New<") == 2 and page.count("notification--unread") == 2
    response = await post_form(alice, "/notifications/read", {})
    assert response.status_code == 303 and response.headers["location"] == "/notifications"
    page = (await alice.get("/notifications")).text
    assert nav_link(page) == "Notifications"
    assert ">New<" not in page and "Mark all as read" not in page
    assert "You have no unread notifications." in page
    assert page.count("followed you") == 2  # read, not gone
    assert await notifications.unread_count((await user("alice")).id) == 0


async def test_mark_all_as_read_with_htmx_swaps_the_list_and_the_nav(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice = await _two_unread(app, members)
    await alice.get("/notifications")
    response = await alice.post("/notifications/read", headers=htmx_headers(alice))
    assert response.status_code == 200
    fragment = response.text
    assert "<html" not in fragment and 'id="notifications"' in fragment
    assert ">New<" not in fragment and fragment.count("followed you") == 2
    assert nav_link(fragment) == "Notifications" and 'hx-swap-oob="outerHTML"' in fragment
    assert "All notifications read." in fragment
    assert await notifications.unread_count((await user("alice")).id) == 0


async def test_notifications_are_keyset_paged_newest_first(app: Litestar, members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    author, bob = await user("alice"), await user("bob")
    post_ids = [(await posts.publish(author, f"Post {n}")).id for n in range(25)]
    for post_id in post_ids:
        await posts.favourite(bob, post_id)
        await notify(NO_CONTEXT, kind="like", actor_id=bob.id, post_id=post_id)

    first = (await alice.get("/notifications")).text
    shown = [int(n) for n in re.findall(r'href="/@alice/(\d+)"', first)]
    assert shown == list(reversed(post_ids))[:20]
    older = re.search(r'<a href="(/notifications\?before=\d+)"[^>]*>Older notifications</a>', first)
    assert older
    second = (await alice.get(older.group(1))).text
    assert [int(n) for n in re.findall(r'href="/@alice/(\d+)"', second)] == list(
        reversed(post_ids)
    )[20:]
    assert "Older notifications" not in second and "You have reached the end." in second
    # htmx loads the next page in place: no layout, and a word for screen readers.
    in_place = await alice.get(older.group(1), headers={"HX-Request": "true"})
    assert "<html" not in in_place.text and "5 older notifications loaded." in in_place.text
    assert in_place.text.count("liked your post") == 5
    assert (await alice.get("/notifications?before=nonsense")).status_code == 400


async def test_notifications_need_a_login(client: AsyncClient) -> None:
    response = await client.get("/notifications")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fnotifications"
    marked = await post_form(client, "/notifications/read", {})
    assert marked.status_code == 303 and marked.headers["location"].startswith("/login")
    assert "nav-notifications" not in (await client.get("/")).text


async def test_mark_all_as_read_needs_the_csrf_token(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice = await _two_unread(app, members)
    assert (await alice.post("/notifications/read")).status_code == 403
    assert await notifications.unread_count((await user("alice")).id) == 2


def test_the_worker_runs_the_notify_job() -> None:
    assert notify in registered_functions(worker_settings.settings)


async def test_the_nav_count_is_one_query_on_full_pages_only(
    members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await members("alice")
    counted: list[int] = []
    original = notifications.nav_counts

    async def counting(user_id: int, locked: bool) -> notifications.NavCounts:
        counted.append(user_id)
        return await original(user_id, locked)

    monkeypatch.setattr(notifications, "nav_counts", counting)
    assert nav_link((await alice.get("/explore")).text) == "Notifications"
    assert len(counted) == 1
    await alice.get("/explore", headers={"HX-Request": "true"})
    await alice.get("/api/v1/instance")
    await post_form(alice, "/posts", {"text": "no count for a form"})
    assert len(counted) == 1
    await alice.get("/notifications")  # the page reuses the nav's count
    assert len(counted) == 2


async def test_the_count_leaves_out_suspended_accounts(
    app: Litestar, members: Members, worker: Worker[WorkerContext]
) -> None:
    alice = await _two_unread(app, members)
    await User.update({User.is_suspended: True}).where(User.username == "carol")
    assert await notifications.unread_count((await user("alice")).id) == 1
    assert nav_link((await alice.get("/notifications")).text) == "Notifications, 1 unread"
