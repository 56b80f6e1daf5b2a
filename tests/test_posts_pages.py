"""Posts through the HTTP app as a browser without JavaScript uses them: write, read, delete."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient

from domain.accounts import User
from domain.posts import Post
from tests.helpers import failure_page, htmx_headers, post_form, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def test_a_post_appears_on_home_profile_explore_and_its_permalink(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "Hello, Agora!")
    for path in ("/", "/@alice", "/explore", f"/@alice/{post_id}"):
        page = await alice.get(path)
        assert page.status_code == 200, path
        assert "Hello, Agora!" in page.text, path
        assert f'href="/@alice/{post_id}"><time datetime="' in page.text, path


async def test_text_is_kept_exactly_as_typed_apart_from_surrounding_space(members: Members) -> None:
    alice = await members("alice")
    text = "line one\n  indented   line two"
    post_id = await write_post(alice, f"  {text}\n")
    assert (await Post.select(Post.text).where(Post.id == post_id).first()) == {"text": text}


async def test_a_500_character_post_is_accepted(members: Members) -> None:
    alice = await members("alice")
    await write_post(alice, "x" * 500)
    assert await Post.count() == 1


async def test_empty_and_too_long_posts_are_refused_and_the_text_is_kept(members: Members) -> None:
    alice = await members("alice")
    empty = await failure_page(alice, await post_form(alice, "/posts", {"text": "   "}))
    assert empty.status_code == 422
    assert "Post cannot be empty." in empty.text
    long_text = "y" * 501
    too_long = await failure_page(alice, await post_form(alice, "/posts", {"text": long_text}))
    assert too_long.status_code == 422
    assert "Post must be at most 500 characters (it has 501)." in too_long.text
    assert f">{long_text}</textarea>" in too_long.text
    assert 'aria-describedby="hint-text error-text"' in too_long.text
    assert await Post.count() == 0


async def test_links_mentions_and_tags_become_anchors(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    post_id = await write_post(alice, "See https://example.org/x?a=1 with @bob about #Python")
    page = (await alice.get(f"/@alice/{post_id}")).text
    assert (
        '<a href="https://example.org/x?a=1" rel="nofollow noopener ugc">'
        "https://example.org/x?a=1</a>" in page
    )
    assert '<a href="/@bob" class="mention">@bob</a>' in page
    assert '<a href="/tags/python" class="tag">#Python</a>' in page


async def test_a_tag_page_lists_only_posts_with_that_tag(members: Members) -> None:
    alice = await members("alice")
    await write_post(alice, "I like #python a lot")
    await write_post(alice, "#Python is fun")
    await write_post(alice, "#pythonic is a different tag, and so is p#python")
    page = await alice.get("/tags/Python")
    assert page.status_code == 200
    assert "<h1>#python</h1>" in page.text
    assert "I like" in page.text and "is fun" in page.text
    assert "different tag" not in page.text
    assert (await alice.get("/tags/no-such!")).status_code == 404


async def test_the_author_deletes_a_post_after_confirming(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "short-lived")
    confirm = await alice.get(f"/posts/{post_id}/delete")
    assert confirm.status_code == 200
    assert "Delete this post?" in confirm.text
    deleted = await post_form(alice, f"/posts/{post_id}/delete", {})
    assert deleted.status_code == 303
    assert (await alice.get(f"/@alice/{post_id}")).status_code == 404
    assert await User.select(User.posts_count).where(User.username == "alice").first() == {
        "posts_count": 0
    }


async def test_nobody_else_may_delete_a_post(members: Members) -> None:
    alice = await members("alice")
    mallory = await members("mallory")
    post_id = await write_post(alice, "mine")
    assert (await mallory.get(f"/posts/{post_id}/delete")).status_code == 403
    refused = await post_form(mallory, f"/posts/{post_id}/delete", {})
    assert refused.status_code == 403
    assert "Only the author can delete this post." in refused.text
    assert await Post.count() == 1


async def test_a_moderator_may_delete_any_post(members: Members) -> None:
    alice = await members("alice")
    moderator = await members("maude")
    await User.update({User.role: "moderator"}).where(User.username == "maude")
    post_id = await write_post(alice, "against the rules")
    assert (await post_form(moderator, f"/posts/{post_id}/delete", {})).status_code == 303
    assert await Post.count() == 0


async def test_missing_posts_and_wrong_addresses_are_404(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    post_id = await write_post(alice, "here")
    assert (await alice.get("/@alice/999999")).status_code == 404
    assert (await alice.get(f"/@bob/{post_id}")).status_code == 404
    assert (await alice.get("/@nobody")).status_code == 404
    assert (await alice.get("/alice")).status_code == 404
    assert (await post_form(alice, "/posts/999999/like", {})).status_code == 404
    assert (await post_form(alice, "/posts/999999/delete", {})).status_code == 404


async def test_posting_without_a_csrf_token_is_refused(members: Members) -> None:
    alice = await members("alice")
    refused = await alice.post("/posts", data={"text": "forged"})
    assert refused.status_code == 403
    assert await Post.count() == 0


async def test_visitors_are_sent_to_log_in_and_back(client: AsyncClient, members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "like me")
    pressed = await post_form(client, f"/posts/{post_id}/like?next=/explore", {})
    assert pressed.status_code == 303
    assert pressed.headers["location"] == "/login?next=%2Fexplore"
    with_htmx = await client.post(f"/posts/{post_id}/like", headers=htmx_headers(client))
    assert with_htmx.headers["hx-redirect"].startswith("/login?next=")
    assert (await client.get("/bookmarks")).headers["location"] == "/login?next=%2Fbookmarks"


XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


async def test_markup_in_posts_comments_names_and_bios_is_shown_as_text(
    members: Members,
) -> None:
    alice = await members("alice")
    for payload in XSS:
        profile = await post_form(
            alice, "/settings/profile", {"display_name": payload[:50], "bio": payload}
        )
        assert profile.status_code == 303
        post_id = await write_post(alice, payload)
        reply = await post_form(alice, f"/posts/{post_id}/comments", {"text": payload})
        assert reply.status_code == 303
        for path in ("/", "/@alice", f"/@alice/{post_id}", "/explore"):
            page = (await alice.get(path)).text
            assert "<script>alert(1)" not in page, path
            assert "<img src=x" not in page, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&lt;img src=x" in page
