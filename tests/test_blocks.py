"""Blocking: the domain rules, what each side sees, and the pages, on real Postgres and Redis."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar

from domain import accounts, notifications, posts, social, timelines
from domain.accounts import User
from domain.core import redis_guard
from domain.core.errors import Forbidden, NotFound, ValidationFailed
from domain.notifications import Notification
from domain.posts import Bookmark, Comment, Like
from domain.social import Block, Follow, block_filters
from tests.conftest import http_client
from tests.helpers import htmx_headers, post_form, rendered_form, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def user(username: str) -> User:
    found = await accounts.find_user(username)
    assert found is not None
    return found


async def block_through_the_confirm_page(client: AsyncClient, username: str) -> None:
    """Block the way a person does: the profile's Block link, then the confirm page's form."""
    profile = (await client.get(f"/@{username}")).text
    assert f'href="/@{username}/block?next=/%40{username}"' in profile
    confirm = await client.get(f"/@{username}/block?next=/@{username}")
    assert confirm.status_code == 200
    action, fields = rendered_form(confirm.text, f"/@{username}/block")
    done = await client.post(action, data=fields)
    assert done.status_code == 303
    assert done.headers["location"] == f"/@{username}"


async def pair_blocked(blocker: str, blocked: str) -> bool:
    return bool(
        await Block.exists().where(
            (Block.blocker == (await user(blocker)).id)
            & (Block.blocked == (await user(blocked)).id)
        )
    )


# ---------------------------------------------------------------- domain


async def test_block_ends_follows_both_ways_and_is_idempotent(
    app: Litestar, members: Members
) -> None:
    await members("alice")
    await members("bob")
    alice, bob = await user("alice"), await user("bob")
    await social.follow(alice, bob.id)
    await social.follow(bob, alice.id)
    await social.block(alice, bob.id)
    await social.block(alice, bob.id)  # again: nothing changes
    assert await Block.count() == 1
    assert await Follow.count() == 0
    for name in ("alice", "bob"):  # the counters moved as for two unfollows
        fresh = await user(name)
        assert (fresh.followers_count, fresh.following_count) == (0, 0)
    assert await social.state(alice.id, bob.id) == social.BlockState(True, False)
    assert await social.state(bob.id, alice.id) == social.BlockState(False, True)
    await social.unblock(alice, bob.id)
    await social.unblock(alice, bob.id)  # again: still harmless
    assert await Block.count() == 0
    assert not (await social.state(alice.id, bob.id)).either_way
    assert await Follow.count() == 0  # unblocking does not bring follows back
    await social.follow(bob, alice.id)  # and following is allowed again
    assert (await social.relationships(bob.id, [alice.id]))[alice.id].following


async def test_blocking_oneself_or_nobody_is_refused(app: Litestar, members: Members) -> None:
    await members("alice")
    alice = await user("alice")
    with pytest.raises(ValidationFailed, match="You cannot block yourself"):
        await social.block(alice, alice.id)
    with pytest.raises(NotFound):
        await social.block(alice, 999_999)
    with pytest.raises(NotFound):
        await social.unblock(alice, 999_999)
    assert await Block.count() == 0


async def test_nothing_crosses_a_block_in_either_direction(app: Litestar, members: Members) -> None:
    await members("alice")
    await members("bob")
    await members("carol")
    alice, bob, carol = await user("alice"), await user("bob"), await user("carol")
    alices_post = await posts.publish(alice, "Alice writes")
    bobs_post = await posts.publish(bob, "Bob writes")
    carols_post = await posts.publish(carol, "Carol writes")
    alices_comment = await posts.publish(
        alice, "Alice comments", in_reply_to=posts.ReplyTarget(carols_post.id)
    )
    await social.block(alice, bob.id)

    with pytest.raises(Forbidden, match="This account has blocked you"):
        await social.follow(bob, alice.id)
    with pytest.raises(Forbidden, match="You have blocked this account"):
        await social.follow(alice, bob.id)
    with pytest.raises(Forbidden, match="cannot like their posts"):
        await posts.favourite(bob, alices_post.id)
    with pytest.raises(Forbidden, match="cannot like their posts"):
        await posts.favourite(alice, bobs_post.id)
    with pytest.raises(Forbidden, match="cannot bookmark their posts"):
        await posts.bookmark(bob, alices_post.id)
    with pytest.raises(Forbidden, match="cannot reply to their posts"):
        await posts.publish(bob, "let me in", in_reply_to=posts.ReplyTarget(alices_post.id))
    with pytest.raises(Forbidden, match="cannot reply to their comments"):
        await posts.publish(
            bob, "answering", in_reply_to=posts.ReplyTarget(carols_post.id, alices_comment.id)
        )
    assert (await Follow.count(), await Like.count(), await Bookmark.count()) == (0, 0, 0)
    assert await Comment.count() == 1  # Alice's own, nothing from Bob
    # Carol, outside the block, still does all of it.
    await posts.favourite(carol, alices_post.id)
    await posts.publish(carol, "hello Bob", in_reply_to=posts.ReplyTarget(bobs_post.id))
    assert await Like.count() == 1 and await Comment.count() == 2


async def test_a_mention_across_a_block_notifies_nobody(app: Litestar, members: Members) -> None:
    for name in ("alice", "bob", "carol"):
        await members(name)
    alice, bob, carol = await user("alice"), await user("bob"), await user("carol")
    await social.block(alice, bob.id)
    by_bob = await posts.publish(bob, "Hey @alice and @carol")
    # The job the outbox would run: only Carol, outside the block, is told.
    assert await notifications.deliver("mention", post_id=by_bob.id) == 1
    told = await Notification.select(Notification.recipient).where(Notification.kind == "mention")
    assert told == [{"recipient": carol.id}]
    by_alice = await posts.publish(alice, "Hey @bob")  # the other way round, too
    assert await notifications.deliver("mention", post_id=by_alice.id) == 0


async def test_earlier_notifications_across_a_block_are_hidden_until_it_is_lifted(
    app: Litestar, members: Members
) -> None:
    alice_client = await members("alice")
    await members("bob")
    alice, bob = await user("alice"), await user("bob")
    post = await posts.publish(alice, "hello")
    await posts.favourite(bob, post.id)
    assert await notifications.deliver("like", actor_id=bob.id, post_id=post.id) == 1
    assert await notifications.unread_count(alice.id) == 1
    await social.block(alice, bob.id)
    assert await notifications.unread_count(alice.id) == 0
    assert (await notifications.page(alice.id)).items == []
    page = await alice_client.get("/notifications")
    assert "@bob" not in page.text and "(1 unread)" not in page.text
    await social.unblock(alice, bob.id)
    assert await notifications.unread_count(alice.id) == 1


async def test_the_block_list_is_paged_newest_first(app: Litestar, members: Members) -> None:
    await members("alice")
    alice = await user("alice")
    for name in ("bob", "carol", "dave"):
        await members(name)
        await social.block(alice, (await user(name)).id)
    first = await social.blocked_accounts(alice.id, limit=2)
    assert [account.username for account in first.accounts] == ["dave", "carol"]
    assert first.next_before is not None
    rest = await social.blocked_accounts(alice.id, limit=2, before_id=first.next_before)
    assert [account.username for account in rest.accounts] == ["bob"]
    assert rest.next_before is None


# ---------------------------------------------------------------- what each side sees


async def test_neither_side_sees_the_other_in_feeds_search_and_comments(
    app: Litestar, members: Members
) -> None:
    alice, bob, carol = await members("alice"), await members("bob"), await members("carol")
    alices_post = await write_post(alice, "alice unique words #garden")
    await write_post(bob, "bob unique words #garden")
    carols_post = await write_post(carol, "carol opens a thread")
    await post_form(alice, f"/posts/{carols_post}/comments", {"text": "comment from alice"})
    await post_form(bob, f"/posts/{carols_post}/comments", {"text": "comment from bob"})
    await post_form(bob, f"/posts/{alices_post}/bookmark", {})
    assert "alice unique words" in (await bob.get("/bookmarks")).text
    await block_through_the_confirm_page(alice, "bob")
    assert "alice unique words" not in (await bob.get("/bookmarks")).text

    # Each page, and what it shows of a member: their post, or on the thread their comment.
    pages = {
        "/explore": "{} unique words",
        "/tags/garden": "{} unique words",
        "/search?q=unique+words": "{} unique words",
        f"/@carol/{carols_post}": "comment from {}",
    }
    for viewer, own, other in ((alice, "alice", "bob"), (bob, "bob", "alice")):
        for path, shown in pages.items():
            page = (await viewer.get(path)).text
            assert shown.format(own) in page, path
            assert shown.format(other) not in page, path
    async with http_client(app) as visitor:
        for path, shown in pages.items():  # Carol, and visitors, see both
            for page in ((await carol.get(path)).text, (await visitor.get(path)).text):
                assert shown.format("alice") in page and shown.format("bob") in page, path
    # Bob's way to Alice's post is closed with a reason, not a blank page.
    permalink = await bob.get(f"/@alice/{alices_post}")
    assert permalink.status_code == 404
    assert "you or its author has blocked the other" in permalink.text


async def test_people_search_leaves_out_both_sides_of_a_block(
    app: Litestar, members: Members
) -> None:
    alice, bob, carol = await members("alice"), await members("bob"), await members("carol")
    assert "@bob" in (await alice.get("/search?q=bob")).text
    await block_through_the_confirm_page(alice, "bob")
    assert "@bob" not in (await alice.get("/search?q=bob")).text
    assert "@alice" not in (await bob.get("/search?q=alice")).text
    assert "@bob" in (await carol.get("/search?q=bob")).text


async def test_profiles_say_who_blocked_whom_and_hide_posts(members: Members) -> None:
    alice, bob = await members("alice"), await members("bob")
    await write_post(alice, "a post by alice")
    await write_post(bob, "a post by bob")
    await block_through_the_confirm_page(alice, "bob")

    seen_by_alice = (await alice.get("/@bob")).text
    assert "You have blocked @bob." in seen_by_alice
    assert "their posts are hidden from you" in seen_by_alice
    assert "a post by bob" not in seen_by_alice
    assert 'id="follow-button-' not in seen_by_alice
    action, _ = rendered_form(seen_by_alice, "/@bob/unblock")
    assert action == "/@bob/unblock?next=/%40bob"
    assert 'Unblock<span class="visually-hidden"> @bob</span>' in seen_by_alice

    seen_by_bob = (await bob.get("/@alice")).text
    assert "@alice has blocked you." in seen_by_bob
    assert "their posts are not available to you" in seen_by_bob
    assert "a post by alice" not in seen_by_bob
    assert 'id="follow-button-' not in seen_by_bob
    assert "/@alice/unblock" not in seen_by_bob  # only the blocker can unblock
    assert 'href="/@alice/block?next=' in seen_by_bob  # but Bob may block back

    own = (await alice.get("/@alice")).text
    assert "/@alice/block" not in own and "Edit profile" in own


async def test_the_home_feed_drops_their_posts_at_once_from_a_warm_timeline(
    app: Litestar, members: Members
) -> None:
    alice, bob = await members("alice"), await members("bob")
    await post_form(alice, "/@bob/follow", {})
    await post_form(bob, "/@alice/follow", {})
    bobs_post = await write_post(bob, "bob said this earlier")
    alices_post = await write_post(alice, "alice said this earlier")
    assert "bob said this earlier" in (await alice.get("/")).text  # builds Alice's timeline
    assert "alice said this earlier" in (await bob.get("/")).text
    guard = redis_guard.active()
    assert guard is not None
    alice_id, bob_id = (await user("alice")).id, (await user("bob")).id
    assert await guard.client.zscore(timelines.timeline_key(alice_id), bobs_post) is not None

    await block_through_the_confirm_page(alice, "bob")

    home = (await alice.get("/")).text
    assert "bob said this earlier" not in home and "alice said this earlier" in home
    # Not merely filtered on the way out: the timeline was rebuilt without Bob's posts.
    assert await guard.client.zscore(timelines.timeline_key(alice_id), bobs_post) is None
    assert "alice said this earlier" not in (await bob.get("/")).text
    assert await guard.client.zscore(timelines.timeline_key(bob_id), alices_post) is None


# ---------------------------------------------------------------- pages and forms


async def test_the_confirm_page_explains_and_blocks_nobody_by_itself(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    page = await alice.get("/@bob/block")
    assert page.status_code == 200
    assert "<h1>Block <bdi>Bob</bdi> (@bob)?</h1>" in page.text
    assert "neither of you can like, bookmark or reply" in page.text
    assert '<button type="submit" class="button button--danger">Block @bob</button>' in page.text
    assert 'name="_csrf_token"' in page.text
    assert not await pair_blocked("alice", "bob")


async def test_unblock_without_javascript_redirects_back(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    await block_through_the_confirm_page(alice, "bob")
    action, fields = rendered_form((await alice.get("/@bob")).text, "/@bob/unblock")
    done = await alice.post(action, data=fields)
    assert done.status_code == 303 and done.headers["location"] == "/@bob"
    assert not await pair_blocked("alice", "bob")
    assert 'id="follow-button-' in (await alice.get("/@bob")).text


async def test_unblock_with_htmx_swaps_the_relationship_and_announces(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    await block_through_the_confirm_page(alice, "bob")
    bob_id = (await user("bob")).id
    response = await alice.post("/@bob/unblock", headers=htmx_headers(alice))
    assert response.status_code == 200
    fragment = response.text
    assert fragment.startswith(f'<div class="relationship" id="relationship-{bob_id}">')
    assert "<html" not in fragment
    assert f'id="follow-button-{bob_id}"' in fragment  # Follow is possible again
    assert f'id="block-toggle-{bob_id}" href="/@bob/block?next=/%40bob"' in fragment
    assert 'hx-swap-oob="outerHTML:#profile-counts"' in fragment
    assert 'You unblocked @bob. <a href="/@bob">Show their posts</a>.' in fragment
    assert '<div id="announcer" hx-swap-oob="innerHTML">Unblocked Bob.</div>' in fragment
    assert not await pair_blocked("alice", "bob")


async def test_blocking_bad_paths(client: AsyncClient, members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    myself = await post_form(alice, "/@alice/block", {})
    assert myself.status_code == 422 and "You cannot block yourself." in myself.text
    assert (await alice.get("/@alice/block")).status_code == 422
    assert (await post_form(alice, "/@nobody/block", {})).status_code == 404
    assert (await alice.get("/@nobody/block")).status_code == 404
    no_token = await alice.post("/@bob/block")
    assert no_token.status_code == 403 and "This form has expired" in no_token.text
    logged_out = await post_form(client, "/@bob/block?next=/@bob", {})
    assert logged_out.status_code == 303
    assert logged_out.headers["location"].startswith("/login?next=")
    confirm_logged_out = await client.get("/@bob/block")
    assert confirm_logged_out.status_code == 303
    assert confirm_logged_out.headers["location"] == "/login?next=%2F%40bob%2Fblock"
    assert await Block.count() == 0


async def test_refusals_across_a_block_are_403_pages_with_the_reason(members: Members) -> None:
    alice, bob = await members("alice"), await members("bob")
    alices_post = await write_post(alice, "not for bob")
    await block_through_the_confirm_page(alice, "bob")
    follow = await post_form(bob, "/@alice/follow", {})
    assert follow.status_code == 403
    assert "This account has blocked you, so you cannot follow it." in follow.text
    like = await post_form(bob, f"/posts/{alices_post}/like", {})
    assert like.status_code == 403 and "cannot like their posts" in like.text
    bookmark = await post_form(bob, f"/posts/{alices_post}/bookmark", {})
    assert bookmark.status_code == 403 and "cannot bookmark their posts" in bookmark.text
    comment = await post_form(bob, f"/posts/{alices_post}/comments", {"text": "hi"})
    assert comment.status_code == 403 and "cannot reply to their posts" in comment.text
    htmx_like = await bob.post(f"/posts/{alices_post}/like", headers=htmx_headers(bob))
    assert htmx_like.status_code == 403
    assert (await Like.count(), await Follow.count(), await Comment.count()) == (0, 0, 0)
    refollow = await post_form(alice, "/@bob/follow", {})
    assert refollow.status_code == 403 and "You have blocked this account" in refollow.text


async def test_the_settings_page_lists_blocked_accounts_with_unblock(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    await members("carol")
    assert 'href="/settings/blocks"' in (await alice.get("/settings")).text
    assert "You have not blocked anyone." in (await alice.get("/settings/blocks")).text
    await block_through_the_confirm_page(alice, "bob")
    await block_through_the_confirm_page(alice, "carol")
    page = (await alice.get("/settings/blocks")).text
    assert "<h1>Blocked accounts</h1>" in page
    assert page.index("@carol") < page.index("@bob")  # most recent first
    action, fields = rendered_form(page, "/@bob/unblock")
    assert action == "/@bob/unblock?next=/settings/blocks"
    done = await alice.post(action, data=fields)
    assert done.status_code == 303 and done.headers["location"] == "/settings/blocks"
    after = (await alice.get("/settings/blocks")).text
    assert "@bob" not in after and "@carol" in after


async def test_the_settings_list_pages_by_forty(app: Litestar, members: Members) -> None:
    alice = await members("alice")
    blocker = await user("alice")
    crowd = [
        User(username=f"user{n}", display_name=f"User {n}", password_hash="x") for n in range(41)
    ]
    await User.insert(*crowd)
    for person in crowd:
        await social.block(blocker, person.id)
    first = (await alice.get("/settings/blocks")).text
    assert first.count("/unblock?next=/settings/blocks") == 40
    assert "@user0<" not in first  # the first one blocked is the oldest: on page two
    more = first.split('<a href="/settings/blocks?before=')[1].split('"')[0]
    second = (await alice.get(f"/settings/blocks?before={more}")).text
    assert second.count("/unblock?next=/settings/blocks") == 1 and "@user0<" in second
    assert "More blocked accounts" not in second


async def test_the_settings_page_needs_a_login(client: AsyncClient) -> None:
    response = await client.get("/settings/blocks")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings%2Fblocks"


async def test_a_block_made_after_the_check_still_stops_the_write(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if the block landed between the friendly check and the write: the statements
    themselves refuse to cross it (no error then, and nothing written)."""
    await members("alice")
    await members("bob")
    alice, bob = await user("alice"), await user("bob")
    post = await posts.publish(alice, "mine")
    await social.block(alice, bob.id)

    async def checked_too_early(*_: object) -> None:
        return None

    monkeypatch.setattr(social, "refuse_if_blocked_by_author", checked_too_early)
    monkeypatch.setattr(block_filters, "refuse_if_blocked", checked_too_early)
    assert await posts.favourite(bob, post.id) == 0
    await posts.bookmark(bob, post.id)
    await social.follow(bob, alice.id)
    assert (await Like.count(), await Bookmark.count(), await Follow.count()) == (0, 0, 0)
    assert (await user("alice")).followers_count == 0
