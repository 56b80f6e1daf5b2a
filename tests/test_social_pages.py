"""Likes, bookmarks, follows and comments through the HTTP app, with and without htmx."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient

from domain import accounts, posts
from domain.accounts import User
from domain.posts import Comment, Like, Post
from tests.helpers import PASSWORD, failure_page, htmx_headers, post_form, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


def pressed(page: str, control: str, post_id: int) -> str:
    match = re.search(
        rf'id="{control}-{post_id}" class="[^"]*\btoggle\b[^"]*" aria-pressed="(\w+)"', page
    )
    assert match, f"no {control} button for post {post_id}"
    return match.group(1)


async def like_count(post_id: int) -> int:
    row = await Post.select(Post.like_count).where(Post.id == post_id).first()
    assert row is not None
    return int(row["like_count"])


async def test_like_without_javascript_redirects_back_to_the_post(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    post_id = await write_post(alice, "likeable")
    liked = await post_form(bob, f"/posts/{post_id}/like?next=/explore", {})
    assert liked.status_code == 303
    assert liked.headers["location"] == f"/explore#post-{post_id}"
    page = (await bob.get("/explore")).text
    assert pressed(page, "like", post_id) == "true"
    assert '1<span class="visually-hidden"> like</span>' in page
    assert (await post_form(bob, f"/posts/{post_id}/unlike", {})).status_code == 303
    assert pressed((await bob.get("/explore")).text, "like", post_id) == "false"
    assert await like_count(post_id) == 0


async def test_like_with_htmx_swaps_only_the_controls_and_announces(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    post_id = await write_post(alice, "likeable")
    page_url = "http://agora.test/explore?cursor=abc"
    response = await bob.post(
        f"/posts/{post_id}/like", headers={**htmx_headers(bob), "HX-Current-URL": page_url}
    )
    assert response.status_code == 200
    fragment = response.text
    # Should JavaScript fail later, the swapped-in forms still lead back to that page.
    assert f'action="/posts/{post_id}/unlike?next=/explore%3Fcursor%3Dabc"' in fragment
    assert len(fragment.encode()) < 2048
    assert "<html" not in fragment and "<article" not in fragment
    assert fragment.startswith(f'<div class="post-controls" id="controls-{post_id}" ')
    assert pressed(fragment, "like", post_id) == "true"
    assert '<div id="announcer" hx-swap-oob="innerHTML">Liked. 1 like.</div>' in fragment
    marked = await bob.post(f"/posts/{post_id}/bookmark", headers=htmx_headers(bob))
    assert pressed(marked.text, "bookmark", post_id) == "true"
    assert "Bookmarked." in marked.text


async def test_a_double_submitted_like_counts_once(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    post_id = await write_post(alice, "once")
    first, second = await asyncio.gather(
        post_form(bob, f"/posts/{post_id}/like", {}), post_form(bob, f"/posts/{post_id}/like", {})
    )
    assert (first.status_code, second.status_code) == (303, 303)
    assert await like_count(post_id) == 1
    assert await Like.count() == 1


async def test_twenty_simultaneous_likes_count_twenty(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "popular")
    fans = [await accounts.sign_up(f"fan{n}", "", PASSWORD) for n in range(20)]
    counts = await asyncio.gather(*(posts.favourite(fan, post_id) for fan in fans))
    assert max(counts) == 20
    assert await like_count(post_id) == 20
    await asyncio.gather(*(posts.unfavourite(fan, post_id) for fan in fans[:7]))
    assert await like_count(post_id) == 13


async def test_bookmarks_are_private_and_newest_bookmark_first(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    first = await write_post(alice, "first post")
    second = await write_post(alice, "second post")
    await post_form(bob, f"/posts/{second}/bookmark", {})
    await post_form(bob, f"/posts/{first}/bookmark", {})
    page = (await bob.get("/bookmarks")).text
    assert page.index("first post") < page.index("second post")
    assert "first post" not in (await alice.get("/bookmarks")).text
    await post_form(bob, f"/posts/{first}/unbookmark", {})
    assert "first post" not in (await bob.get("/bookmarks")).text
    assert (await post_form(bob, "/posts/424242/bookmark", {})).status_code == 404


async def test_following_fills_the_home_feed_and_updates_the_profile(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await write_post(alice, "from alice")
    assert "from alice" not in (await bob.get("/")).text
    followed = await post_form(bob, "/@alice/follow?next=/@alice", {})
    assert (followed.status_code, followed.headers["location"]) == (303, "/@alice")
    profile = (await bob.get("/@alice")).text
    assert ">Unfollow</button>" in profile
    assert '<a href="/@alice/followers"><strong>1</strong> follower</a>' in profile
    assert "from alice" in (await bob.get("/")).text
    assert "@bob" in (await bob.get("/@alice/followers")).text
    assert "@alice" in (await bob.get("/@bob/following")).text
    await post_form(bob, "/@alice/unfollow", {})
    assert "from alice" not in (await bob.get("/")).text
    assert ">Follow</button>" in (await bob.get("/@alice")).text


async def test_follow_with_htmx_swaps_the_button_and_counts(members: Members) -> None:
    await members("alice")
    bob = await members("bob")
    response = await bob.post("/@alice/follow", headers=htmx_headers(bob))
    assert response.status_code == 200
    assert ">Unfollow</button>" in response.text
    assert 'hx-swap-oob="outerHTML:#profile-counts"' in response.text
    assert "Following Alice." in response.text


async def test_you_cannot_follow_yourself_or_a_missing_account(members: Members) -> None:
    alice = await members("alice")
    own = await post_form(alice, "/@alice/follow", {})
    assert own.status_code == 422
    assert "You cannot follow yourself." in own.text
    assert ">Follow</button>" not in (await alice.get("/@alice")).text
    assert (await post_form(alice, "/@ghost/follow", {})).status_code == 404
    assert await User.select(User.following_count).where(User.username == "alice").first() == {
        "following_count": 0
    }


async def test_comments_nest_replies_and_keep_counts_right(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    post_id = await write_post(alice, "discuss")
    reply = await post_form(bob, f"/posts/{post_id}/comments", {"text": "first!"})
    assert reply.status_code == 303
    comment_id = int(reply.headers["location"].rsplit("-", 1)[1])
    nested = await post_form(
        alice, f"/posts/{post_id}/comments", {"text": "thanks bob", "parent_id": str(comment_id)}
    )
    assert nested.status_code == 303
    page = (await alice.get(f"/@alice/{post_id}")).text
    assert page.index("first!") < page.index("thanks bob")
    assert 'aria-label="Replies to @bob"' in page
    assert '2<span class="visually-hidden"> comments</span>' in (await alice.get("/@alice")).text
    assert (await post_form(alice, f"/comments/{comment_id}/delete", {})).status_code == 303
    assert await Comment.count() == 0
    assert '0<span class="visually-hidden"> comments</span>' in (await alice.get("/@alice")).text


async def test_comment_errors_are_shown_and_keep_the_text(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "discuss")
    empty = await failure_page(
        alice, await post_form(alice, f"/posts/{post_id}/comments", {"text": " "})
    )
    assert empty.status_code == 422
    assert 'id="error-reply">Reply cannot be empty.' in empty.text
    long_text = "z" * 501
    too_long = await failure_page(
        alice, await post_form(alice, f"/posts/{post_id}/comments", {"text": long_text})
    )
    assert too_long.status_code == 422
    assert f">{long_text}</textarea>" in too_long.text
    assert (await post_form(alice, "/posts/999/comments", {"text": "hi"})).status_code == 404
    first = await post_form(alice, f"/posts/{post_id}/comments", {"text": "top"})
    top_id = first.headers["location"].rsplit("-", 1)[1]
    empty_reply = await failure_page(
        alice,
        await post_form(alice, f"/posts/{post_id}/comments", {"text": "", "parent_id": top_id}),
    )
    assert empty_reply.status_code == 422
    # The form still answers the same comment, with the error next to it.
    assert f'name="parent_id" value="{top_id}"' in empty_reply.text
    assert 'id="error-reply">Reply cannot be empty.' in empty_reply.text
    assert await Comment.count() == 1


async def test_a_reply_must_answer_a_comment_on_the_same_post(members: Members) -> None:
    alice = await members("alice")
    first = await write_post(alice, "one")
    second = await write_post(alice, "two")
    reply = await post_form(alice, f"/posts/{first}/comments", {"text": "on one"})
    comment_id = reply.headers["location"].rsplit("-", 1)[1]
    crossed = await post_form(
        alice, f"/posts/{second}/comments", {"text": "x", "parent_id": comment_id}
    )
    assert crossed.status_code == 404
    assert await Comment.count() == 1


async def test_only_the_authors_or_a_moderator_delete_a_comment(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    mallory = await members("mallory")
    post_id = await write_post(alice, "discuss")
    reply = await post_form(bob, f"/posts/{post_id}/comments", {"text": "keep me"})
    comment_id = reply.headers["location"].rsplit("-", 1)[1]
    assert (await mallory.get(f"/comments/{comment_id}/delete")).status_code == 403
    assert (await post_form(mallory, f"/comments/{comment_id}/delete", {})).status_code == 403
    assert (await post_form(mallory, "/comments/999/delete", {})).status_code == 404
    assert await Comment.count() == 1
    assert (await post_form(alice, f"/comments/{comment_id}/delete", {})).status_code == 303
    assert await Comment.count() == 0


async def test_reply_with_htmx_returns_the_comments_section(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "discuss")
    response = await alice.post(
        f"/posts/{post_id}/comments", data={"text": "via htmx"}, headers=htmx_headers(alice)
    )
    assert response.status_code == 200
    assert response.text.startswith('<section class="comments-section" id="comments"')
    assert "via htmx" in response.text
    assert f'hx-swap-oob="outerHTML:#controls-{post_id}"' in response.text
    assert '1<span class="visually-hidden"> comment</span>' in response.text
    assert "Reply posted." in response.text
    bad = await alice.post(
        f"/posts/{post_id}/comments", data={"text": ""}, headers=htmx_headers(alice)
    )
    assert bad.status_code == 422
    assert "Reply cannot be empty." in bad.text and "<html" not in bad.text


async def test_profile_editing_checks_lengths(members: Members) -> None:
    alice = await members("alice")
    saved = await post_form(alice, "/settings/profile", {"display_name": "Alice A.", "bio": "Hi"})
    assert (saved.status_code, saved.headers["location"]) == (303, "/@alice")
    profile = (await alice.get("/@alice")).text
    assert '<h1 id="profile-name"><bdi>Alice A.</bdi></h1>' in profile and "Hi" in profile
    too_long = await failure_page(
        alice,
        await post_form(alice, "/settings/profile", {"display_name": "n" * 51, "bio": "b" * 301}),
    )
    assert too_long.status_code == 422
    assert "Display name must be at most 50 characters." in too_long.text
    assert "Bio must be at most 300 characters." in too_long.text
    assert "b" * 301 + "</textarea>" in too_long.text


async def test_long_threads_are_paged_and_replies_land_on_their_page(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "popular thread")
    writer = await accounts.find_user("alice")
    assert writer is not None
    ids = [
        (
            await posts.publish(
                writer, f"comment number {n}", in_reply_to=posts.ReplyTarget(post_id)
            )
        ).id
        for n in range(60)
    ]
    first = (await alice.get(f"/@alice/{post_id}")).text
    assert first.count('class="comment"') == 50
    assert "comment number 49<" in first and "comment number 50<" not in first
    later = f'href="/@alice/{post_id}?after={ids[49]}#comments">Later comments</a>'
    assert later in first and "First comments" not in first
    second = (await alice.get(f"/@alice/{post_id}?after={ids[49]}")).text
    assert second.count('class="comment"') == 10
    assert "comment number 50<" in second and "First comments" in second
    assert "Later comments" not in second
    # Answering a comment on the second page comes back to that page, at the reply.
    reply = await post_form(
        alice, f"/posts/{post_id}/comments", {"text": "late reply", "parent_id": str(ids[55])}
    )
    location = reply.headers["location"]
    assert location.startswith(f"/@alice/{post_id}?comment=")
    back = (await alice.get(location.split("#")[0])).text
    assert "late reply" in back and "comment number 55<" in back
    assert "comment number 0<" not in back
    # The reply form for a comment on the second page is shown on that page.
    answering = (await alice.get(f"/@alice/{post_id}?reply_to={ids[58]}")).text
    assert "comment number 58<" in answering and f'value="{ids[58]}"' in answering
