"""The page flow around posts, through the HTTP app as a browser without JavaScript: relative
times outside the shared fragment cache, one-time flash messages that a planted cookie cannot
fill with words, and Post/Redirect/Get for forms that fail as well as for those that work."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response

from domain.core import redis_guard
from domain.feeds.fragments import FRAGMENT_HITS
from domain.posts import Comment, Post
from tests.helpers import failure_page, log_in, log_out, post_form, sign_up, write_post
from web.flash import FLASH_COOKIE
from web.times import absolute_time, relative_time

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FLASH = re.compile(r'<p class="flash flash--success" role="status" id="flash">([^<]*)</p>')


def flashes(page: Response) -> list[str]:
    return FLASH.findall(page.text)


def test_relative_times_step_from_minutes_to_a_date() -> None:
    ago = {
        timedelta(seconds=5): "now",
        timedelta(seconds=-30): "now",  # a clock a little ahead
        timedelta(minutes=1): "1m",
        timedelta(minutes=59, seconds=59): "59m",
        timedelta(hours=3): "3h",
        timedelta(hours=23, minutes=59): "23h",
        timedelta(days=2): "2d",
        timedelta(days=6, hours=23): "6d",
        timedelta(days=7): "24 Nov",
        timedelta(days=400): "27 Oct 2025",
    }
    for age, shown in ago.items():
        assert relative_time(NOW - age, NOW) == shown, age
    assert absolute_time(NOW) == "1 December 2026, 12:00 UTC"
    # Another time zone's moment is shown in UTC.
    eastern = NOW.astimezone(datetime.fromisoformat("2026-01-01T00:00+05:30").tzinfo)
    assert absolute_time(eastern) == "1 December 2026, 12:00 UTC"


async def test_the_relative_time_stays_fresh_while_the_body_comes_from_the_cache(
    members: Members,
) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "cached words")
    first = (await alice.get("/explore")).text
    assert re.search(r'<span class="time-short" aria-hidden="true">now</span>', first)
    assert 'data-relative><span class="time-short"' in first
    # Three hours pass (the post is made older): the body is still read from the cache, and
    # the author line around it says the new age.
    await Post.update({Post.created_at: datetime.now(UTC) - timedelta(hours=3)}).where(
        Post.id == post_id
    )
    hits = FRAGMENT_HITS._value.get()
    later = (await alice.get("/explore")).text
    assert FRAGMENT_HITS._value.get() - hits == 1
    assert "cached words" in later
    assert '<span class="time-short" aria-hidden="true">3h</span>' in later
    full = re.search(r'<time datetime="[^"]+" title="([^"]+)" data-relative>', later)
    assert full and full.group(1).endswith("UTC")
    assert f'<span class="visually-hidden time-full">{full.group(1)}</span>' in later


async def test_a_flash_message_is_shown_once(members: Members) -> None:
    alice = await members("alice")
    posted = await post_form(alice, "/posts", {"text": "flash me"})
    assert posted.status_code == 303 and FLASH_COOKIE in posted.headers["set-cookie"]
    home = await alice.get("/")
    assert flashes(home) == ["Posted"]
    assert f'{FLASH_COOKIE}=""' in home.headers["set-cookie"]  # expired as it is shown
    assert flashes(await alice.get("/")) == []


async def test_every_flow_leaves_its_message(members: Members, client: AsyncClient) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "to be deleted")
    assert flashes(await alice.get("/")) == ["Posted"]
    reply = await post_form(alice, f"/posts/{post_id}/comments", {"text": "a reply"})
    assert flashes(await alice.get(reply.headers["location"])) == ["Reply posted"]
    comment_id = (await Comment.select(Comment.id).first() or {})["id"]
    gone = await post_form(alice, f"/comments/{comment_id}/delete", {})
    assert flashes(await alice.get(gone.headers["location"])) == ["Comment deleted"]
    deleted = await post_form(alice, f"/posts/{post_id}/delete", {})
    assert flashes(await alice.get(deleted.headers["location"])) == ["Post deleted"]
    saved = await post_form(alice, "/settings/profile", {"display_name": "Al", "bio": ""})
    assert flashes(await alice.get(saved.headers["location"])) == ["Profile saved"]
    ended = await post_form(alice, "/settings/sessions/end-all", {})
    assert flashes(await alice.get(ended.headers["location"])) == ["Logged out on every device"]
    await sign_up(client, "bob")
    out = await log_out(client)
    assert flashes(await client.get(out.headers["location"])) == ["Logged out"]


async def test_a_planted_flash_cookie_cannot_put_words_on_the_page(client: AsyncClient) -> None:
    for planted in (
        "Your account is locked: call 555-0100",
        "<script>alert(1)</script>",
        "Posted",
    ):
        client.cookies.set(FLASH_COOKIE, planted, domain="agora.test")
        page = await client.get("/login")
        assert flashes(page) == [] and "555-0100" not in page.text and "alert(1)" not in page.text
        assert f'{FLASH_COOKIE}=""' in page.headers["set-cookie"]  # and it is gone
        client.cookies.delete(FLASH_COOKIE)
    # A key of the catalogue shows only the catalogue's words.
    client.cookies.set(FLASH_COOKIE, "profile-saved", domain="agora.test")
    assert flashes(await client.get("/login")) == ["Profile saved"]


async def test_a_failed_post_is_shown_at_a_page_a_reload_does_not_post_again(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    refused = await post_form(alice, "/posts", {"text": "y" * 501})
    assert refused.status_code == 303
    location = refused.headers["location"]
    assert location.startswith("/compose?failed=")
    # The error page answers GET, as often as it is reloaded, and posts nothing.
    for _ in range(2):
        page = await alice.get(location)
        assert page.status_code == 422
        assert "Post must be at most 500 characters (it has 501)." in page.text
        assert ">" + "y" * 501 + "</textarea>" in page.text
    assert await Post.count() == 0
    # The kept form is this browser's: another one (or a made-up token) gets an empty composer.
    await sign_up(client, "bob")
    theirs = await client.get(location)
    assert theirs.status_code == 200 and "y" * 501 not in theirs.text
    made_up = await alice.get("/compose?failed=AAAAAAAAAAAAAAAAAAAAAA")
    assert made_up.status_code == 200 and "must be at most" not in made_up.text
    assert (await alice.get("/compose?failed=<script>")).status_code == 200


async def test_failed_replies_profiles_sign_ups_and_log_ins_redirect_too(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "discuss")
    reply = await post_form(alice, f"/posts/{post_id}/comments", {"text": " "})
    assert reply.headers["location"].startswith(f"/@alice/{post_id}?failed=")
    assert reply.headers["location"].endswith("#field-reply")
    shown = await failure_page(alice, reply)
    assert shown.status_code == 422 and 'id="error-reply">Reply cannot be empty.' in shown.text
    assert "autofocus" in shown.text.split('id="field-reply"')[1].split(">")[0]
    profile = await post_form(alice, "/settings/profile", {"display_name": "n" * 51, "bio": "b"})
    assert profile.headers["location"].startswith("/settings/profile?failed=")
    assert (await failure_page(alice, profile)).status_code == 422
    signup = await post_form(client, "/signup", {"username": "alice", "password": "x" * 12})
    assert signup.headers["location"].startswith("/signup?failed=")
    assert (await failure_page(client, signup)).status_code == 409


async def test_a_wrong_password_is_said_once(client: AsyncClient) -> None:
    await sign_up(client, "carol")
    await log_out(client)
    wrong = await log_in(client, "carol", "not the password")
    assert wrong.headers["location"].startswith("/login?failed=")
    page = await failure_page(client, wrong)
    assert page.status_code == 401
    assert page.text.count("Wrong username or password.") == 1
    assert 'id="error-form">Wrong username or password.' in page.text
    assert 'value="carol"' in page.text  # the username is kept, the password never
    for name in ("username", "password"):
        field = page.text.split(f'id="field-{name}"')[1].split(">")[0]
        assert 'aria-describedby="error-form"' in field and 'aria-invalid="true"' in field


async def test_the_empty_home_feed_links_to_explore(members: Members) -> None:
    alice = await members("alice")
    page = (await alice.get("/")).text
    assert (
        '<div class="empty-state"><p>Your feed is empty. Write a post, or follow people from'
        ' <a href="/explore">Explore</a>.</p></div>' in page
    )


async def test_the_compose_page_holds_only_the_composer(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    page = await alice.get("/compose")
    assert page.status_code == 200
    assert page.text.count('action="/posts"') == 1 and 'id="feed-heading"' not in page.text
    assert 'data-count-max="500" data-url-length="23"' in page.text
    visitor = await client.get("/compose")
    assert visitor.status_code in (302, 303) and "/login" in visitor.headers["location"]


async def test_without_redis_a_failed_post_is_shown_in_the_answer(
    members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await members("alice")
    monkeypatch.setattr(redis_guard, "active", lambda: None)
    refused = await post_form(alice, "/posts", {"text": " "})
    assert refused.status_code == 422 and "Post cannot be empty." in refused.text


async def test_an_htmx_page_says_its_flash_in_the_announcer(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "announce me")
    page = await alice.get(f"/@alice/{post_id}", headers={"HX-Request": "true"})
    assert '<div id="announcer" hx-swap-oob="innerHTML">Posted.</div>' in page.text
    assert flashes(page) == []
    assert flashes(await alice.get("/")) == []  # said once


def submission_of(page: str) -> str:
    """The `submission` token of the first form on the page that carries one."""
    found = re.search(r'<input type="hidden" name="submission" value="([^"]+)">', page)
    assert found, "the form carries a submission token"
    return found.group(1)


async def test_a_form_sent_again_posts_once(members: Members) -> None:
    """Back after posting, then Post again: the same rendering of the form, the same token."""
    alice = await members("alice")
    token = submission_of((await alice.get("/compose")).text)
    first = await post_form(alice, "/posts", {"text": "only once", "submission": token})
    assert flashes(await alice.get(first.headers["location"])) == ["Posted"]
    again = await post_form(alice, "/posts", {"text": "only once", "submission": token})
    assert again.headers["location"] == first.headers["location"]
    assert flashes(await alice.get(again.headers["location"])) == [
        "Already posted: that form was sent before"
    ]
    assert await Post.count() == 1
    # Every rendering is a new form: a new token posts again.
    fresh = submission_of((await alice.get("/compose")).text)
    assert fresh != token
    await post_form(alice, "/posts", {"text": "only once", "submission": fresh})
    assert await Post.count() == 2


async def test_a_reply_form_sent_again_replies_once(members: Members) -> None:
    alice = await members("alice")
    post_id = await write_post(alice, "a post")
    token = submission_of((await alice.get(f"/@alice/{post_id}")).text)
    sent = {"text": "a single reply", "submission": token}
    first = await post_form(alice, f"/posts/{post_id}/comments", sent)
    again = await post_form(alice, f"/posts/{post_id}/comments", sent)
    assert again.headers["location"] == first.headers["location"]
    assert await Comment.count() == 1


async def test_a_failed_form_keeps_its_token_usable(members: Members) -> None:
    """A post refused (too long) claims nothing: the same form, corrected, then posts."""
    alice = await members("alice")
    token = submission_of((await alice.get("/compose")).text)
    refused = await post_form(alice, "/posts", {"text": "x" * 501, "submission": token})
    assert (await failure_page(alice, refused)).status_code == 422
    await post_form(alice, "/posts", {"text": "short now", "submission": token})
    assert await Post.count() == 1


@pytest.mark.parametrize("token", ["short", "x" * 65, "spaces are not allowed here!", "é" * 20])
async def test_a_malformed_submission_token_is_refused(members: Members, token: str) -> None:
    alice = await members("alice")
    refused = await post_form(alice, "/posts", {"text": "hello", "submission": token})
    assert refused.status_code == 400
    assert "submission token is malformed" in refused.text
    assert await Post.count() == 0
