"""Every form submitted exactly as the page renders it, hidden CSRF field and all, the way a
browser without JavaScript sends it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient

from domain.posts import Bookmark, Comment, Like, Post
from domain.social import Follow
from tests.helpers import rendered_form, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def submit(client: AsyncClient, page_url: str, action: str, **fields: str) -> str:
    url, hidden = rendered_form((await client.get(page_url)).text, action)
    response = await client.post(url, data={**hidden, **fields})
    assert response.status_code == 303, (action, response.status_code, response.text[:300])
    return str(response.headers["location"])


async def test_every_social_form_works_as_rendered(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    assert await submit(alice, "/", "/posts", text="rendered form post") == "/#post-1"
    post_id = (await Post.select(Post.id).first() or {})["id"]

    assert await submit(bob, "/@alice", "/@alice/follow") == "/@alice"
    assert await submit(bob, "/", f"/posts/{post_id}/like") == f"/#post-{post_id}"
    assert await submit(bob, "/", f"/posts/{post_id}/bookmark") == f"/#post-{post_id}"
    assert await submit(bob, f"/@alice/{post_id}", f"/posts/{post_id}/comments", text="hi")
    assert (await Follow.count(), await Like.count(), await Bookmark.count()) == (1, 1, 1)
    assert await Comment.count() == 1

    assert await submit(bob, "/", f"/posts/{post_id}/unlike") == f"/#post-{post_id}"
    assert await submit(bob, "/", f"/posts/{post_id}/unbookmark") == f"/#post-{post_id}"
    assert await submit(bob, "/@alice", "/@alice/unfollow") == "/@alice"
    assert (await Follow.count(), await Like.count(), await Bookmark.count()) == (0, 0, 0)

    comment_id = (await Comment.select(Comment.id).first() or {})["id"]
    await submit(alice, f"/comments/{comment_id}/delete", f"/comments/{comment_id}/delete")
    assert await Comment.count() == 0
    assert await submit(alice, f"/posts/{post_id}/delete", f"/posts/{post_id}/delete") == "/@alice"
    assert await Post.count() == 0


async def test_reply_to_a_comment_and_profile_forms_work_as_rendered(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "thread")
    await submit(alice, f"/@alice/{post_id}", f"/posts/{post_id}/comments", text="top")
    page = (await alice.get(f"/@alice/{post_id}")).text
    comment_id = (await Comment.select(Comment.id).first() or {})["id"]
    reply_link = f'href="/@alice/{post_id}?reply_to={comment_id}#field-reply" hx-get='
    assert reply_link in page
    page = (await alice.get(f"/@alice/{post_id}?reply_to={comment_id}")).text
    assert '<label for="field-reply">Reply to @alice</label>' in page
    url, hidden = rendered_form(page, f"/posts/{post_id}/comments")
    assert hidden["parent_id"] == str(comment_id)
    assert (await alice.post(url, data={**hidden, "text": "nested"})).status_code == 303
    assert await Comment.count() == 2
    location = await submit(alice, "/settings/profile", "/settings/profile", display_name="A")
    assert location == "/@alice"
