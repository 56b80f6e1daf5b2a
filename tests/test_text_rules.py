"""The text rules (issue 11, items 2, 3, 4 and 6): hashtags in every script, links as people
write them, length as people count it, and no right-to-left tricks in names; each through
the domain, the pages and the API."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import pytest
from httpx import AsyncClient

from domain import accounts, posts
from domain.accounts import User
from domain.posts import (
    MAX_POST_LENGTH,
    URL_LENGTH,
    extract_mentions,
    extract_tags,
    normalize_tag,
    render_html,
    text_length,
    text_problem,
)
from tasks.notification_jobs import notify
from tests.api.helpers import token_for
from tests.helpers import NO_CONTEXT, failure_page, post_form, rendered_form, sign_up, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦
RLO = "\u202e"


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)" rel="nofollow noopener ugc">', html)


# ---------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (
            "https://en.wikipedia.org/wiki/Sphinx_(documentation_generator)",
            "https://en.wikipedia.org/wiki/Sphinx_(documentation_generator)",
        ),
        (
            "See https://en.wikipedia.org/wiki/Sphinx_(documentation_generator).",
            "https://en.wikipedia.org/wiki/Sphinx_(documentation_generator)",
        ),
        ("(see https://example.com/a_(b)_c)", "https://example.com/a_(b)_c"),
        ("(https://example.com/page)", "https://example.com/page"),
        ("https://example.com/page.", "https://example.com/page"),
        ("https://example.com/page, then", "https://example.com/page"),
        ("https://example.com/page!", "https://example.com/page"),
        ("really https://example.com/page?", "https://example.com/page"),
        ("https://example.com/page: see", "https://example.com/page"),
        ("https://example.com/page:", "https://example.com/page"),
        ('"https://example.com/quoted"', "https://example.com/quoted"),
        ("'https://example.com/quoted'", "https://example.com/quoted"),
        ("«https://example.com/guillemets»", "https://example.com/guillemets"),
        ("“https://example.com/curly”", "https://example.com/curly"),
        ("https://example.com/search?q=a&b=c#top", "https://example.com/search?q=a&amp;b=c#top"),
        ("https://bücher.example/straße?q=ü", "https://bücher.example/straße?q=ü"),
        ("https://日本.example/パス/ページ", "https://日本.example/パス/ページ"),
        ("http://example.com:8080/a.b/", "http://example.com:8080/a.b/"),
    ],
)
def test_links_as_people_write_them(text: str, url: str) -> None:
    assert links(render_html(text)) == [url]


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "ftp://example.com/file",
        "//example.com/protocol-relative",
        "example.com without a scheme",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_only_http_and_https_links_become_links(text: str) -> None:
    assert "<a " not in render_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        'https://example.com/"onmouseover="alert(1)',
        "https://example.com/<script>alert(1)</script>",
        "https://example.com/'onclick='alert(1)",
        '<a href="javascript:alert(1)">x</a> #tag @bob',
        "<img src=x onerror=alert(1)>",
        "&lt;b&gt; stays text",
    ],
)
def test_nothing_typed_becomes_markup(text: str) -> None:
    html = render_html(text)
    without_ours = re.sub(
        r'<a href="[^"<>]*"( rel="nofollow noopener ugc"| class="\w+")>', "", html
    )
    without_ours = without_ours.replace("</a>", "").replace("<br>", "")
    assert "<" not in without_ours and ">" not in without_ours.replace("&gt;", "")
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', html))
    assert '"onmouseover' not in html and "'onclick" not in html


def test_mentions_tags_and_line_breaks_around_links() -> None:
    html = render_html("Hi @bob,\r\nsee https://example.com/#frag (#Tea)\nbye")
    assert html == (
        'Hi <a href="/@bob" class="mention">@bob</a>,<br>\n'
        'see <a href="https://example.com/#frag" rel="nofollow noopener ugc">'
        'https://example.com/#frag</a> (<a href="/tags/tea" class="tag">#Tea</a>)<br>\nbye'
    )
    # A # or @ inside a link is part of the link, not a tag or a mention.
    assert extract_tags("https://example.com/#frag https://example.com/@bob") == []
    assert extract_mentions("https://example.com/@bob @carol") == ["carol"]


# ---------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("#café", "café"),
        ("#Café", "café"),
        ("#Cafe\u0301", "café"),  # a combining accent
        ("#CAFE\u0301", "café"),
        ("#España", "españa"),
        ("#ESPAN\u0303A", "españa"),
        ("#日本語", "日本語"),
        ("#Ελλάδα", "ελλάδα"),
        ("#ΕΛΛΆΔΑ", "ελλάδα"),
        ("#Straße", "strasse"),  # case folding, not lower-casing
        ("#STRASSE", "strasse"),
        ("#हिन्दी", "हिन्दी"),  # marks inside a word (virama, vowel signs)
        ("#العربية", "العربية"),
        ("#Москва", "москва"),
        ("#\uff54\uff41\uff47", "tag"),  # full-width letters, one normal form (NFKC)
        ("#snake_case_2", "snake_case_2"),
        ("#2024", "2024"),
    ],
)
def test_tags_in_every_script(typed: str, canonical: str) -> None:
    assert extract_tags(f"A post {typed} here") == [canonical]
    assert normalize_tag(typed) == canonical
    assert normalize_tag(canonical) == canonical
    assert f'<a href="/tags/{quote(canonical)}" class="tag">{typed}</a>' in render_html(typed)


def test_one_tag_however_typed() -> None:
    text = "#Café #cafe\u0301 #CAFÉ #café"
    assert extract_tags(text) == ["café"]
    assert len(set(re.findall(r'href="([^"]+)"', render_html(text)))) == 1


@pytest.mark.parametrize(
    "text",
    [
        "word#tag",  # glued to a word
        "café#tag",
        "日本#語",
        "&#39;",  # an entity
        "/path#anchor",
        "#",
        "# spaced",
        "#-dash",
        "#" + "a" * 65,  # too long
    ],
)
def test_not_tags(text: str) -> None:
    assert extract_tags(text) == []
    assert 'class="tag"' not in render_html(text)


def test_tag_ends_at_punctuation() -> None:
    assert extract_tags("#España, #日本語。#Ελλάδα! (#café)") == [
        "españa",
        "日本語",
        "ελλάδα",
        "café",
    ]
    assert extract_tags("#" + "a" * 64) == ["a" * 64]


@pytest.mark.parametrize("tag", ["", "#", "no-such!", "a b", "tag/x", "x" * 65, "<script>"])
def test_normalize_tag_refuses_what_is_not_a_tag(tag: str) -> None:
    assert normalize_tag(tag) is None


async def test_tag_pages_api_search_and_status_tags_agree(
    members: Members, client: AsyncClient
) -> None:
    alice = await members("alice")
    await write_post(alice, "Hola #España")
    await write_post(alice, "Otra vez #ESPAN\u0303A")
    await write_post(alice, "Tokyo #日本語 and #Ελλάδα")
    await write_post(alice, "Nothing tagged: España, 日本語")
    for path in ("/tags/españa", "/tags/ESPAÑA", "/tags/espan%CC%83a", "/tags/espa%C3%B1a"):
        page = await alice.get(path)
        assert page.status_code == 200, path
        assert "Hola" in page.text and "Otra vez" in page.text, path
        assert "Nothing tagged" not in page.text
    japanese = (await alice.get("/tags/日本語")).text
    assert "Tokyo" in japanese and "Hola" not in japanese
    assert "Tokyo" in (await alice.get("/tags/ελλάδα")).text
    assert (await alice.get("/tags/no-such!")).status_code == 404
    # Without JavaScript a like on a tag page comes back to it.
    action, hidden = rendered_form(japanese, "/posts/")
    liked = await alice.post(action, data=hidden)
    assert liked.status_code == 303
    assert liked.headers["location"].startswith(f"/tags/{quote('日本語')}")

    timeline = await client.get("/api/v1/timelines/tag/ESPA%C3%91A")
    assert [s["text"] for s in timeline.json()] == ["Otra vez #ESPAN\u0303A", "Hola #España"]
    assert [s["text"] for s in (await client.get("/api/v1/timelines/tag/日本語")).json()] == [
        "Tokyo #日本語 and #Ελλάδα"
    ]
    greek = await client.get("/api/v1/timelines/tag/ελλάδα")
    assert greek.status_code == 200, greek.text
    assert quote("/timelines/tag/ελλάδα") in greek.headers["link"]
    tokyo = greek.json()[0]
    assert tokyo["tags"] == [
        {"name": "日本語", "url": f"http://agora.test/tags/{quote('日本語')}", "history": []},
        {"name": "ελλάδα", "url": f"http://agora.test/tags/{quote('ελλάδα')}", "history": []},
    ]
    assert f'href="http://agora.test/tags/{quote("日本語")}"' in tokyo["content"]

    search_page = (await alice.get("/search", params={"q": "#España"})).text
    assert "#españa</a>" in search_page
    token = await token_for(await User.objects().where(User.username == "alice").first())
    found = await client.get(
        "/api/v2/search",
        params={"q": "#日本語", "type": "hashtags"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert [tag["name"] for tag in found.json()["hashtags"]] == ["日本語"]


# ---------------------------------------------------------------- length


def test_length_as_a_person_counts_it() -> None:
    assert text_length("a" * 249 + "\r\n" + "b" * 250) == 500
    assert text_length("a" * 249 + "\r" + "b" * 250) == 500
    assert text_length(FAMILY * 72) == 72
    assert text_length("e\u0301" * 500) == 500  # letters with combining accents
    assert text_length("🇫🇷" * 500) == 500  # flags: two code points each
    assert text_length("👍🏽" * 500) == 500  # skin tones
    assert text_length("  padded \n ") == 6
    assert text_length("https://example.com/" + "x" * 1000) == URL_LENGTH
    assert text_length("see https://example.com/a.") == len("see .") + URL_LENGTH


@pytest.mark.parametrize(
    "text",
    [
        "a" * 249 + "\r\n" + "b" * 250,
        FAMILY * 72,
        FAMILY * MAX_POST_LENGTH,
        "e\u0301" * MAX_POST_LENGTH,
        "x" * (MAX_POST_LENGTH - URL_LENGTH - 1) + " https://example.com/" + "p" * 400,
    ],
)
def test_within_the_limit(text: str) -> None:
    assert text_problem(text) is None


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("a" * 250 + "\r\n" + "b" * 250, 501),
        (FAMILY * 501, 501),
        ("e\u0301" * 501, 501),
        ("x" * (MAX_POST_LENGTH - URL_LENGTH) + " https://example.com/", 501),
    ],
)
def test_over_the_limit(text: str, counted: int) -> None:
    assert text_problem(text) == f"Post must be at most 500 characters (it has {counted})."


def test_links_have_a_ceiling_when_written_out() -> None:
    text = " ".join(f"https://example.com/{n}/" + "p" * 1000 for n in range(6))
    assert text_length(text) < MAX_POST_LENGTH
    problem = text_problem(text)
    assert problem is not None and "with its links written out" in problem


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\t"])
def test_empty(text: str) -> None:
    assert text_problem(text) == "Post cannot be empty."


async def test_the_form_counts_and_stores_like_a_person(members: Members) -> None:
    alice = await members("alice")
    crlf = "a" * 249 + "\r\n" + "b" * 250
    post_id = await write_post(alice, crlf)
    assert (await posts.get_post(post_id)).text == "a" * 249 + "\n" + "b" * 250
    family = await write_post(alice, FAMILY * 72)
    assert (await posts.get_post(family)).text == FAMILY * 72

    too_long = await failure_page(alice, await post_form(alice, "/posts", {"text": FAMILY * 501}))
    assert too_long.status_code == 422
    assert "at most 500 characters (it has 501)" in too_long.text
    # The text is kept for the writer to shorten, never cut.
    assert FAMILY * 501 in too_long.text

    comment = await post_form(alice, f"/posts/{post_id}/comments", {"text": "one\r\ntwo"})
    assert comment.status_code == 303
    stored = await posts.Comment.select(posts.Comment.text).where(posts.Comment.post == post_id)
    assert stored == [{"text": "one\ntwo"}]
    long_reply = await failure_page(
        alice, await post_form(alice, f"/posts/{post_id}/comments", {"text": "é" * 501})
    )
    assert long_reply.status_code == 422


async def test_the_api_counts_like_the_form_and_says_so(client: AsyncClient) -> None:
    user = await accounts.sign_up("alice", "Alice", "a long enough passphrase")
    headers = {"Authorization": f"Bearer {await token_for(user)}"}
    ok = await client.post(
        "/api/v1/statuses", headers=headers, data={"status": "a" * 249 + "\r\n" + "b" * 250}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["text"] == "a" * 249 + "\n" + "b" * 250
    family = await client.post("/api/v1/statuses", headers=headers, data={"status": FAMILY * 72})
    assert family.status_code == 200
    refused = await client.post(
        "/api/v1/statuses", headers=headers, data={"status": "e\u0301" * 501}
    )
    assert refused.status_code == 422
    assert "at most 500 characters (it has 501)" in refused.json()["error"]

    statuses = (await client.get("/api/v2/instance")).json()["configuration"]["statuses"]
    assert statuses["max_characters"] == MAX_POST_LENGTH
    assert statuses["characters_reserved_per_url"] == URL_LENGTH
    v1 = (await client.get("/api/v1/instance")).json()["configuration"]["statuses"]
    assert v1["characters_reserved_per_url"] == URL_LENGTH


def test_no_maxlength_on_the_post_and_reply_fields() -> None:
    """Browsers count maxlength in UTF-16 code units (a family emoji is 11): the server
    alone counts."""
    from domain.feeds import TEMPLATES_DIR

    for name in ("feeds/home.html", "posts/comments.html", "partials/form_field.html"):
        source = (TEMPLATES_DIR / name).read_text()
        assert not re.search(r"<textarea[^>]*maxlength", source), name


# ---------------------------------------------------------------- right-to-left tricks


@pytest.mark.parametrize(
    "name",
    [
        f"Alice{RLO}",
        f"{RLO}ecilA",
        "x\u202a",  # LRE
        "x\u202b",  # RLE
        "x\u202c",  # PDF
        "x\u202d",  # LRO
        "x\u2066y",  # LRI
        "x\u2067y",  # RLI
        "x\u2068y",  # FSI
        "x\u2069",  # PDI
    ],
)
def test_names_cannot_hold_bidi_controls(name: str) -> None:
    problem = accounts.display_name_problem(name)
    assert problem is not None and "U+202A to U+202E" in problem


@pytest.mark.parametrize("name", ["علي", "שלום", "Ali \u200f", "Zoë", "李雷", "Alice 👩‍💻"])
def test_names_in_any_script_are_fine(name: str) -> None:
    assert accounts.display_name_problem(name) is None


async def test_bidi_controls_are_refused_by_every_path(
    client: AsyncClient, members: Members
) -> None:
    signup = await failure_page(
        client, await sign_up(client, "mallory", display_name=f"Admin{RLO}")
    )
    assert signup.status_code == 422
    assert "U+202A to U+202E" in signup.text

    alice = await members("alice")
    form = await failure_page(
        alice,
        await post_form(alice, "/settings/profile", {"display_name": f"x{RLO}y", "bio": "hello"}),
    )
    assert form.status_code == 422
    assert "U+202A to U+202E" in form.text

    user = await User.objects().where(User.username == "alice").first()
    headers = {"Authorization": f"Bearer {await token_for(user)}"}
    api = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=headers,
        data={"display_name": "\u2067evil\u2069"},
    )
    assert api.status_code == 422
    assert "U+202A to U+202E" in api.json()["error"]
    assert (await accounts.find_user("alice")).display_name == "Alice"  # type: ignore[union-attr]


async def test_user_supplied_spans_are_isolated(members: Members) -> None:
    alice = await members("alice")
    bob = await members("bob")
    await post_form(alice, "/settings/profile", {"display_name": "עליס", "bio": "שלום world"})
    post_id = await write_post(alice, f"Hello {RLO}dlrow @bob")
    await post_form(alice, f"/posts/{post_id}/comments", {"text": "שלום"})

    permalink = (await bob.get(f"/@alice/{post_id}")).text
    assert '<bdi class="display-name">עליס</bdi> <span class="username">@alice</span>' in permalink
    assert f'<div class="post-text" dir="auto">Hello {RLO}dlrow' in permalink
    assert '<div class="post-text" dir="auto">שלום</div>' in permalink
    profile = (await bob.get("/@alice")).text
    assert '<p class="bio" dir="auto">שלום world</p>' in profile
    home = (await alice.get("/")).text
    assert "Logged in as <bdi>עליס</bdi>" in home
    search = (await bob.get("/search", params={"q": "alice"})).text
    assert '<bdi class="display-name">עליס</bdi>' in search
    await notify(NO_CONTEXT, kind="mention", post_id=post_id)  # as the worker would
    notifications = (await bob.get("/notifications")).text
    assert '<bdi>עליס</bdi> <span class="username">@alice</span>' in notifications
