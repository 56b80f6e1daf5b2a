"""Direct messages as pages, without JavaScript (plain forms and 303s) and with htmx's
partial answers: starting a conversation from a profile, the list with its unread marks and
paging, a conversation's page and its reply form, removal and return, and blocks."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient, Response
from litestar import Litestar

from domain import posts
from domain.accounts import User
from domain.posts import MESSAGES_PER_PAGE, Comment, ConversationMember, Post
from tests.api.helpers import make_user
from tests.helpers import failure_page, htmx_headers, post_form, spoken_link

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


async def start(client: AsyncClient, to: str, text: str) -> int:
    """Send a first message from the form the profile's Message button opens; the
    conversation's id."""
    form = await client.get(f"/messages/new?to={to}")
    assert form.status_code == 200, form.text
    response = await post_form(client, "/messages/new", {"to": to, "text": text})
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/messages/(\d+)#message-\d+", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


async def send(client: AsyncClient, conversation_id: int, text: str) -> Response:
    return await post_form(client, f"/messages/{conversation_id}", {"text": text})


def listed(page: str) -> list[int]:
    """The conversations a /messages page lists, in order."""
    found = re.findall(r'<article class="conversation-item[^"]*" id="conversation-(\d+)"', page)
    return [int(i) for i in found]


def unread_in_nav(page: str) -> str | None:
    return spoken_link(page, "nav-messages")


async def test_a_profile_message_button_starts_a_conversation_both_can_read(
    app: Litestar, members: Members
) -> None:
    alice, bob = await members("alice"), await members("bob")
    profile = (await alice.get("/@bob")).text
    assert 'href="/messages/new?to=bob"' in profile
    # Not on one's own profile.
    assert "/messages/new" not in (await bob.get("/@bob")).text
    new = (await alice.get("/messages/new?to=bob")).text
    assert "Message <bdi>Bob</bdi>" in new
    conversation = await start(alice, "bob", "Hello Bob, lunch?")
    post = await Post.objects().where(Post.conversation == conversation).first()
    assert post is not None
    assert post.visibility == "direct" and post.text == "@bob Hello Bob, lunch?"
    # Bob has one unread conversation; the nav says so.
    inbox = (await bob.get("/messages")).text
    assert listed(inbox) == [conversation]
    assert unread_in_nav(inbox) == "Messages, 1 unread"
    assert "conversation-item--unread" in inbox
    assert 'New<span class="visually-hidden"> message from </span>' in inbox
    assert "<bdi>Hello Bob, lunch?</bdi>" in inbox and "data-relative" in inbox
    # Opening it marks it read.
    page = (await bob.get(f"/messages/{conversation}")).text
    assert "Conversation with <bdi>Alice</bdi>" in page
    assert unread_in_nav(page) == "Messages"
    assert "Hello Bob, lunch?" in page
    after = (await bob.get("/messages")).text
    assert unread_in_nav(after) == "Messages" and "conversation-item--unread" not in after
    # The sender never had it unread.
    assert "conversation-item--unread" not in (await alice.get("/messages")).text


async def test_a_reply_reaches_everyone_and_the_thread_reads_oldest_first(
    app: Litestar, members: Members
) -> None:
    alice, bob = await members("alice"), await members("bob")
    conversation = await start(alice, "bob", "first")
    response = await send(bob, conversation, "second")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/messages/{conversation}#message-")
    await send(alice, conversation, "third")
    page = (await bob.get(f"/messages/{conversation}")).text
    assert page.index("first") < page.index("second") < page.index("third")
    assert await Post.count().where(Post.conversation == conversation) == 3
    # Still one conversation each, and the reply mentioned the other participant.
    assert listed((await alice.get("/messages")).text) == [conversation]
    texts = await Post.select(Post.text).where(Post.conversation == conversation).order_by(Post.id)
    assert [row["text"] for row in texts] == ["@bob first", "@alice second", "@bob third"]


async def test_an_htmx_reply_answers_the_new_message_and_an_empty_form(
    app: Litestar, members: Members
) -> None:
    alice, bob = await members("alice"), await members("bob")
    conversation = await start(alice, "bob", "first")
    response = await bob.post(
        f"/messages/{conversation}", data={"text": "in place"}, headers=htmx_headers(bob)
    )
    assert response.status_code == 200
    assert '<li class="message message--mine"' in response.text
    assert "in place" in response.text
    assert 'hx-swap-oob="outerHTML:#message-form"' in response.text
    assert "autofocus" in response.text and "Message sent." in response.text
    blank = await bob.post(
        f"/messages/{conversation}", data={"text": "  "}, headers=htmx_headers(bob)
    )
    assert blank.status_code == 422
    assert blank.headers["hx-retarget"] == "#message-form"
    assert "Write a message before sending it." in blank.text


async def test_bad_messages_say_why(app: Litestar, members: Members) -> None:
    alice, _ = await members("alice"), await members("bob")
    empty = await post_form(alice, "/messages/new", {"to": "bob", "text": "   "})
    assert empty.status_code == 422
    assert "Write a message before sending it." in empty.text
    assert 'aria-invalid="true"' in empty.text
    long = await post_form(alice, "/messages/new", {"to": "bob", "text": "x" * 600})
    assert long.status_code == 422 and "x" * 600 in long.text
    nobody = await alice.get("/messages/new?to=nobody")
    assert nobody.status_code == 404
    assert (await post_form(alice, "/messages/new", {"to": "", "text": "hi"})).status_code == 404
    conversation = await start(alice, "bob", "hi")
    blank = await send(alice, conversation, "")
    assert blank.status_code == 422 and "Write a message before sending it." in blank.text
    for bad in ("999999", "abc", "99999999999999999999"):
        assert (await alice.get(f"/messages/{bad}")).status_code in (400, 404), bad
    assert (await alice.get("/messages?before=abc")).status_code == 400


async def test_a_message_counts_only_what_was_typed(app: Litestar, members: Members) -> None:
    """The @mention that addresses a message is put in front of it by the form, unseen: the
    500 characters are the sender's, in a first message and in a reply."""
    alice, bob = await members("alice"), await members("bob")
    full = "é" * 500
    conversation = await start(alice, "bob", full)
    assert (await send(bob, conversation, "ü" * 500)).status_code == 303
    texts = await Post.select(Post.text).where(Post.conversation == conversation).order_by(Post.id)
    assert [row["text"] for row in texts] == [f"@bob {full}", f"@alice {'ü' * 500}"]
    for response in (
        await post_form(alice, "/messages/new", {"to": "bob", "text": "y" * 501}),
        await send(alice, conversation, "y" * 501),
    ):
        assert response.status_code == 422
        assert "Message must be at most 500 characters (it has 501)." in response.text
        assert "y" * 501 in response.text  # the typed text is kept


async def test_outsiders_never_see_a_conversation(
    app: Litestar, members: Members, client: AsyncClient
) -> None:
    alice, _, carol = await members("alice"), await members("bob"), await members("carol")
    conversation = await start(alice, "bob", "secret plans")
    row = await Post.select(Post.id).where(Post.conversation == conversation).first()
    assert row is not None
    post_id = row["id"]
    assert listed((await carol.get("/messages")).text) == []
    assert (await carol.get(f"/messages/{conversation}")).status_code == 404
    assert (await send(carol, conversation, "let me in")).status_code == 404
    assert (await post_form(carol, f"/messages/{conversation}/remove", {})).status_code == 404
    assert (await carol.get(f"/@alice/{post_id}")).status_code == 404
    assert "secret plans" not in (await carol.get("/search?q=secret")).text
    assert "secret plans" not in (await carol.get("/@alice")).text
    # Visitors are sent to log in.
    for url in ("/messages", f"/messages/{conversation}", "/messages/new?to=bob"):
        visitor = await client.get(url)
        assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login")


async def test_removal_hides_it_until_the_next_message(app: Litestar, members: Members) -> None:
    alice, bob = await members("alice"), await members("bob")
    conversation = await start(alice, "bob", "one")
    removed = await post_form(bob, f"/messages/{conversation}/remove", {})
    assert removed.status_code == 303 and removed.headers["location"] == "/messages"
    page = (await bob.get("/messages")).text
    assert listed(page) == [] and unread_in_nav(page) == "Messages"
    # Alice keeps it; bob can still open it by its address.
    assert listed((await alice.get("/messages")).text) == [conversation]
    assert (await bob.get(f"/messages/{conversation}")).status_code == 200
    await send(alice, conversation, "two")
    back = (await bob.get("/messages")).text
    assert listed(back) == [conversation] and unread_in_nav(back) == "Messages, 1 unread"


async def test_the_list_is_newest_first_and_paged(app: Litestar, members: Members) -> None:
    alice = await members("alice")
    names = [f"friend{n}" for n in range(23)]
    ids = []
    for name in names:
        await make_user(name)  # not through /signup, whose hourly limit is 20
        ids.append(await start(alice, name, f"hello {name}"))
    first = (await alice.get("/messages")).text
    assert listed(first) == ids[::-1][:20]
    older = re.search(r'href="(/messages\?before=\d+)"', first)
    assert older
    second = await alice.get(older.group(1))
    assert listed(second.text) == ids[::-1][20:]
    assert "Older conversations" not in second.text
    in_place = await alice.get(older.group(1), headers=htmx_headers(alice))
    assert "<h1>" not in in_place.text and listed(in_place.text) == ids[::-1][20:]
    # A new message moves a conversation to the top.
    await send(alice, ids[0], "again")
    assert listed((await alice.get("/messages")).text)[0] == ids[0]


async def test_blocks_stop_messages_both_ways_and_hide_conversations(
    app: Litestar, members: Members
) -> None:
    alice, bob = await members("alice"), await members("bob")
    conversation = await start(alice, "bob", "before the block")
    assert (await post_form(bob, "/@alice/block", {})).status_code == 303
    # Bob blocked alice: neither may write to the other, and both lose the conversation.
    refused = await alice.get("/messages/new?to=bob")
    assert refused.status_code == 403 and "This account has blocked you" in refused.text
    sent = await post_form(alice, "/messages/new", {"to": "bob", "text": "hello?"})
    assert sent.status_code == 403
    own = await post_form(bob, "/messages/new", {"to": "alice", "text": "hi"})
    assert own.status_code == 403 and "You have blocked this account" in own.text
    assert "/messages/new" not in (await alice.get("/@bob")).text
    for client in (alice, bob):
        assert listed((await client.get("/messages")).text) == []
        assert (await client.get(f"/messages/{conversation}")).status_code == 404
        assert (await send(client, conversation, "still there?")).status_code == 404
    # A direct post through the composer is refused across the block too.
    composed = await post_form(alice, "/posts", {"text": "@bob psst", "visibility": "direct"})
    assert composed.status_code == 403
    assert await ConversationMember.count() == 2
    assert (await post_form(bob, "/@alice/unblock", {})).status_code == 303
    assert listed((await alice.get("/messages")).text) == [conversation]


def shown_messages(page: str) -> list[int]:
    """The messages a conversation page (or htmx's earlier ones) shows, in order."""
    return [int(i) for i in re.findall(r'<li class="message[^"]*" id="message-(\d+)"', page)]


async def test_a_long_conversation_pages_back_to_its_first_message(
    app: Litestar, members: Members
) -> None:
    alice, bob = await members("alice"), await members("bob")
    conversation = await start(alice, "bob", "message 0")
    author = await User.objects().where(User.username == "alice").first()
    assert author is not None
    total = 2 * MESSAGES_PER_PAGE + 7
    for n in range(1, total):
        await posts.reply(author, conversation, f"message {n}")
    ids = [
        row["id"]
        for row in await Post.select(Post.id)
        .where(Post.conversation == conversation)
        .order_by(Post.id)
    ]
    assert len(ids) == total
    latest = (await bob.get(f"/messages/{conversation}")).text
    assert shown_messages(latest) == ids[-MESSAGES_PER_PAGE:]
    assert "Latest messages" not in latest
    # Without JavaScript, "Earlier messages" is a page of its own, twice, then the first.
    pages, url = [], f"/messages/{conversation}"
    while (earlier := re.search(r'href="(/messages/\d+\?before=\d+)"', latest)) is not None:
        url = earlier.group(1)
        latest = (await bob.get(url)).text
        assert "Latest messages" in latest and 'id="message-form"' in latest
        pages.append(shown_messages(latest))
    assert pages == [
        ids[-2 * MESSAGES_PER_PAGE : -MESSAGES_PER_PAGE],
        ids[: -2 * MESSAGES_PER_PAGE],
    ]
    # With htmx only the messages (and the next link) come, the first taking the focus.
    in_place = await bob.get(url, headers=htmx_headers(bob))
    assert "<h1>" not in in_place.text and shown_messages(in_place.text) == pages[-1]
    assert 'tabindex="-1" autofocus' in in_place.text
    assert (await bob.get(f"/messages/{conversation}?before=x")).status_code == 400
    # An outsider's `before` shows nothing either.
    carol = await members("carol")
    assert (await carol.get(f"/messages/{conversation}?before={ids[-1]}")).status_code == 404


async def test_a_reply_on_a_direct_posts_page_continues_its_conversation(
    app: Litestar, members: Members
) -> None:
    alice, bob, carol = await members("alice"), await members("bob"), await members("carol")
    conversation = await start(alice, "bob", "first")
    row = await Post.select(Post.id).where(Post.conversation == conversation).first()
    assert row is not None
    permalink = f"/@alice/{row['id']}"
    page = (await bob.get(permalink)).text
    assert "Reply in the conversation" in page and 'name="visibility"' not in page
    assert f'href="/messages/{conversation}#message-{row["id"]}"' in page
    assert "No comments yet" not in page
    sent = await post_form(bob, f"/posts/{row['id']}/comments", {"text": "from the permalink"})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/messages/{conversation}#message-")
    shown = await bob.get(sent.headers["location"].split("#")[0])
    assert "from the permalink" in shown.text and "Message sent" in shown.text
    assert await Comment.count() == 0
    texts = await Post.select(Post.text).where(Post.conversation == conversation).order_by(Post.id)
    assert [r["text"] for r in texts] == ["@bob first", "@alice from the permalink"]
    # htmx follows to the conversation's page too.
    in_place = await bob.post(
        f"/posts/{row['id']}/comments", data={"text": "again"}, headers=htmx_headers(bob)
    )
    assert in_place.headers["hx-redirect"].startswith(f"/messages/{conversation}#message-")
    # A blank reply says why on the permalink; an outsider finds no post.
    blank = await failure_page(
        bob, await post_form(bob, f"/posts/{row['id']}/comments", {"text": " "})
    )
    assert blank.status_code == 422 and "Write a message before sending it." in blank.text
    outsider = await post_form(carol, f"/posts/{row['id']}/comments", {"text": "hi"})
    assert outsider.status_code == 404
    assert await Post.count().where(Post.conversation == conversation) == 3
