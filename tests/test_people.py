"""People look like people everywhere (issue 12, item 6): placeholder avatars of a colour of
their own that stays readable in both themes, people cards read in one statement with the
viewer's relationship, bios that cannot break a page, the profile's More menu, and
notifications that show who acted, how and when."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from httpx import AsyncClient

from domain import accounts, posts, social
from domain.accounts import User
from tasks.notification_jobs import notify
from tests.conftest import ROOT, QueryCounter
from tests.helpers import NO_CONTEXT, htmx_headers, rendered_form
from web.avatars import AVATAR_HUES, avatar_hue, initials

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
PEOPLE_CSS = ROOT / "static" / "css" / "people.css"


async def member(username: str) -> User:
    found = await accounts.find_user(username)
    assert found is not None
    return found


def placeholder(username: str, display_name: str, size: str) -> str:
    """The placeholder avatar as every page renders it."""
    return (
        f'<span class="avatar avatar--{size} avatar--placeholder avatar--hue-'
        f'{avatar_hue(username)}" aria-hidden="true">{initials(display_name, username)}</span>'
    )


# ---------------------------------------------------------------- placeholders


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("ada byron lovelace", "AB"),
        ("Ada", "A"),
        ("(Ada) “Byron”", "AB"),  # opening punctuation is skipped
        ("Émile Zola", "ÉZ"),
        ("e\u0301cole", "E\u0301"),  # a letter and its combining accent stay together
        ("🎉 party", "🎉P"),
        ("👩\u200d👩\u200d👧 family", "👩\u200d👩\u200d👧F"),  # one ZWJ sequence, not three people
        ("🇫🇷 Paris", "🇫🇷P"),  # a flag is two code points, one grapheme
        ("👍🏽 thumbs", "👍🏽T"),  # with its skin tone
        ("ßtraße", "ß"),  # "SS" would be two letters for one
        ("李 小龙", "李小"),
        ("עליס כהן", "עכ"),
    ],
)
def test_initials_are_whole_graphemes_in_capitals(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_a_name_without_letters_takes_the_usernames_initial() -> None:
    assert initials("!!! ---", "zed") == "Z"
    assert initials("", "bob") == "B"
    assert initials("...") == "?"


def test_the_colour_is_stable_per_account_and_uses_every_hue() -> None:
    assert avatar_hue("Alice") == avatar_hue("alice") == avatar_hue("ALICE")
    hues = {avatar_hue(f"user{n}") for n in range(200)}
    assert hues == set(range(AVATAR_HUES))
    assert [avatar_hue(f"user{n}") for n in range(20)] == [
        avatar_hue(f"user{n}") for n in range(20)
    ]


async def test_a_person_has_the_same_placeholder_on_every_page(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    await accounts.save_profile(await member("bob"), "🎉 Bob Builder", "")
    bob = await member("bob")
    await social.follow(bob, (await member("alice")).id)
    await notify(NO_CONTEXT, kind="follow", actor_id=bob.id, user_id=(await member("alice")).id)
    card = placeholder("bob", "🎉 Bob Builder", "md")
    assert "🎉B" in card
    for path in ("/@alice/followers", "/search?q=bob", "/notifications"):
        page = (await alice.get(path)).text
        assert html.unescape(card) in html.unescape(page), path
    assert placeholder("bob", "🎉 Bob Builder", "lg") in (await alice.get("/@bob")).text
    await User.update({User.role: "admin"}).where(User.username == "alice")
    assert placeholder("bob", "🎉 Bob Builder", "sm") in (await alice.get("/admin/users")).text


# ---------------------------------------------------------------- contrast, from people.css


def hue_colours() -> dict[int, dict[str, str]]:
    """Each `.avatar--hue-<n>` rule's custom properties, read from people.css."""
    rules = re.findall(r"\.avatar--hue-(\d+)\s*\{([^}]*)\}", PEOPLE_CSS.read_text())
    return {
        int(number): dict(re.findall(r"--avatar-([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;", body))
        for number, body in rules
    }


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_check_is_wcags() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # AA's grey


def test_every_hue_is_readable_in_the_light_and_the_dark_theme() -> None:
    colours = hue_colours()
    assert sorted(colours) == list(range(AVATAR_HUES))
    for hue, pair in colours.items():
        assert sorted(pair) == ["dark-bg", "dark-fg", "light-bg", "light-fg"], hue
        for theme in ("light", "dark"):
            ratio = contrast(pair[f"{theme}-bg"], pair[f"{theme}-fg"])
            assert ratio >= 4.5, (hue, theme, ratio)


def test_the_dark_pairs_follow_the_system_and_the_forced_theme() -> None:
    css = re.sub(r"/\*.*?\*/", "", PEOPLE_CSS.read_text(), flags=re.S)
    dark = r"\{\s*background: var\(--avatar-dark-bg\);\s*color: var\(--avatar-dark-fg\);\s*\}"
    system = r'@media \(prefers-color-scheme: dark\)\s*\{\s*:root:not\(\[data-theme="light"\]\)'
    assert re.search(system + r" \.avatar--placeholder\s*" + dark, css)
    assert re.search(r':root\[data-theme="dark"\] \.avatar--placeholder\s*' + dark, css)
    light = r"\.avatar--placeholder\s*\{\s*background: var\(--avatar-light-bg\);"
    assert re.search(light + r"\s*color: var\(--avatar-light-fg\);", css)


# ---------------------------------------------------------------- people lists


async def crowd(size: int, start: int = 0) -> list[User]:
    people = [
        User(username=f"person{n}", display_name=f"Person {n}", password_hash="x", bio=f"Bio {n}")
        for n in range(start, start + size)
    ]
    await User.insert(*people)
    return people


def page_statements(queries: QueryCounter) -> list[str]:
    """The statements the page ran: without the in-process relay's, which moves the jobs that
    the test's own follows recorded whenever it wakes."""
    return [sql for sql in queries.statements if "outbox" not in sql]


def people_statements(queries: QueryCounter) -> list[str]:
    """The statements that read people with the viewer's relationship."""
    return [sql for sql in queries.statements if "AS following" in sql]


async def test_follow_lists_read_their_people_in_one_statement(
    members: Members, queries: QueryCounter
) -> None:
    viewer = await members("viewer")
    await members("alice")
    alice, me = await member("alice"), await member("viewer")
    for person in await crowd(2):
        await social.follow(person, alice.id)
    queries.reset()
    assert (await viewer.get("/@alice/followers")).status_code == 200
    few = len(page_statements(queries))
    assert len(people_statements(queries)) == 1

    later = await crowd(10, start=2)
    for person in later:
        await social.follow(person, alice.id)
    await social.follow(me, alice.id)
    await social.follow(me, later[0].id)
    queries.reset()
    page = (await viewer.get("/@alice/followers")).text
    assert len(page_statements(queries)) == few  # twelve people cost what two did
    [statement] = people_statements(queries)
    assert "pairs.pair_id" in statement and "agora_user u" in statement
    assert page.count('class="person-card"') == 13
    assert f'id="follow-button-{later[0].id}" class="button button--secondary">Unfollow' in page
    assert f'id="follow-button-{later[1].id}" class="button">Follow' in page
    assert f'id="follow-button-{me.id}"' not in page  # no button to follow oneself
    assert "Bio 7" in page

    queries.reset()
    following = (await viewer.get("/@viewer/following")).text
    assert len(people_statements(queries)) == 1
    assert following.count('class="person-card"') == 2
    assert following.count(">Unfollow<") == 2


async def test_search_reads_its_people_in_one_statement(
    members: Members, queries: QueryCounter
) -> None:
    viewer = await members("viewer")
    await crowd(2)
    queries.reset()
    assert (await viewer.get("/search?q=person")).status_code == 200
    few = len(page_statements(queries))
    people = await crowd(10, start=2)
    await social.follow(await member("viewer"), people[3].id)
    queries.reset()
    page = (await viewer.get("/search?q=person")).text
    assert len(page_statements(queries)) == few
    assert len(people_statements(queries)) == 1
    assert page.count('class="person-card"') == 12
    assert page.count('Unfollow<span class="visually-hidden"> @person') == 1
    assert 'Follow<span class="visually-hidden"> @person5</span>' not in page
    assert 'Unfollow<span class="visually-hidden"> @person5</span>' in page


async def test_the_blocked_accounts_page_reads_them_in_one_statement(
    members: Members, queries: QueryCounter
) -> None:
    viewer = await members("viewer")
    me = await member("viewer")
    for person in await crowd(3):
        await social.block(me, person.id)
    queries.reset()
    page = (await viewer.get("/settings/blocks")).text
    assert len(people_statements(queries)) == 1
    assert page.count('class="person-card"') == 3
    assert page.count(">Unblock<") == 3 and ">Follow<" not in page


async def test_cards_say_when_a_block_stands_instead_of_offering_follow(
    members: Members,
) -> None:
    viewer = await members("viewer")
    await members("alice")
    alice, me = await member("alice"), await member("viewer")
    blocked, blocker = await crowd(2)
    for person in (blocked, blocker):
        await social.follow(person, alice.id)
    await social.block(me, blocked.id)
    await social.block(blocker, me.id)
    page = (await viewer.get("/@alice/followers")).text
    assert 'block-notice">Blocked</p>' in page and 'block-notice">Has blocked you</p>' in page
    assert f'id="follow-button-{blocked.id}"' not in page
    assert f'id="follow-button-{blocker.id}"' not in page


async def test_a_bio_with_html_and_a_huge_word_is_escaped_and_cut(members: Members) -> None:
    viewer = await members("viewer")
    [person] = await crowd(1)
    word = "y" * 2000
    bio = f'<script>alert("x")</script><b>bold</b> {word}'
    await User.update({User.bio: bio}).where(User.id == person.id)
    await social.follow(person, (await member("viewer")).id)
    for path in ("/@viewer/followers", "/search?q=person0"):
        page = (await viewer.get(path)).text
        assert "<script>alert" not in page and "<b>bold" not in page, path
        excerpt = re.search(r'<p class="person-card__bio" dir="auto">([^<]*)</p>', page)
        assert excerpt is not None, path
        assert excerpt.group(1).startswith("&lt;script&gt;alert(&#34;x&#34;)"), path
        assert len(html.unescape(excerpt.group(1))) <= 160 and word not in page, path
    profile = (await viewer.get("/@person0")).text  # the profile shows it all, escaped
    assert "&lt;script&gt;" in profile and word in profile and "<script>alert" not in profile


async def test_following_from_a_card_swaps_only_its_button(members: Members) -> None:
    bob = await members("bob")
    await members("alice")
    alice = await member("alice")
    search = (await bob.get("/search?q=alice")).text
    assert f'hx-post="/@alice/follow?card=true" hx-target="#follow-{alice.id}"' in search
    action, fields = rendered_form(search, "/@alice/follow")
    assert action == "/@alice/follow?next=/search%3Fq%3Dalice"
    done = await bob.post(action, data=fields)  # without JavaScript: back to the results
    assert (done.status_code, done.headers["location"]) == (303, "/search?q=alice")
    assert (
        'Unfollow<span class="visually-hidden"> @alice</span>'
        in (await bob.get("/search?q=alice")).text
    )

    from_search = {**htmx_headers(bob), "HX-Current-URL": "http://agora.test/search?q=alice"}
    swapped = await bob.post("/@alice/unfollow?card=true", headers=from_search)
    assert swapped.status_code == 200
    assert 'action="/@alice/follow?next=/search%3Fq%3Dalice"' in swapped.text
    assert swapped.text.lstrip().startswith(f'<div class="follow-control" id="follow-{alice.id}">')
    assert 'Follow<span class="visually-hidden"> @alice</span>' in swapped.text
    assert "profile-counts" not in swapped.text  # a list has no counts to change
    assert "Unfollowed Alice." in swapped.text
    odd = await bob.post("/@alice/follow?card=perhaps", headers=htmx_headers(bob))
    assert odd.status_code == 400
    assert not await social.Follow.exists().where(social.Follow.followed == alice.id)


# ---------------------------------------------------------------- profile


async def test_the_profile_puts_block_in_a_more_menu(members: Members) -> None:
    bob = await members("bob")
    await members("alice")
    alice = await member("alice")
    page = (await bob.get("/@alice")).text
    start = page.index('<details class="menu" id="profile-menu-')  # not the nav's account menu
    menu = page[start : page.index("</details>", start)]
    assert '<summary class="icon-button">' in menu and "More</span></summary>" in menu
    assert f'id="block-toggle-{alice.id}" href="/@alice/block?next=/%40alice"' in menu
    assert 'id="follow-button-' not in menu and f'id="follow-button-{alice.id}"' in page
    own = (await bob.get("/@bob")).text
    assert '<details class="menu"' not in own and "Edit profile" in own


async def test_profile_fields_are_a_definition_list(members: Members) -> None:
    alice = await members("alice")
    await accounts.save_profile(
        await member("alice"),
        "Alice",
        "Hi",
        fields=[accounts.ProfileField("Pronouns", "she/her")],
    )
    page = (await alice.get("/@alice")).text
    assert (
        '<dl class="profile-fields">\n    <div><dt dir="auto">Pronouns</dt> '
        '<dd dir="auto">she/her</dd></div>'
    ) in page


async def test_the_edit_page_shows_the_placeholder_until_there_is_a_picture(
    members: Members,
) -> None:
    alice = await members("alice")
    page = (await alice.get("/settings/profile")).text
    assert placeholder("alice", "Alice", "lg") in page
    assert "No avatar yet: your initials stand in for one" in page


# ---------------------------------------------------------------- notifications


def notification_articles(page: str) -> dict[str, str]:
    """Each notification article of the page, by the kind in its class."""
    article = r'<article class="notification notification--(\w+).*?</article>'
    return {match.group(1): match.group(0) for match in re.finditer(article, page, re.S)}


async def test_a_notification_shows_the_actor_the_kind_and_when(members: Members) -> None:
    alice = await members("alice")
    await members("bob")
    bob, me = await member("bob"), await member("alice")
    post = await posts.publish(me, "Look at this")
    mention = await posts.publish(bob, "Hello @alice")
    await social.follow(bob, me.id)
    await posts.favourite(bob, post.id)
    await notify(NO_CONTEXT, kind="follow", actor_id=bob.id, user_id=me.id)
    await notify(NO_CONTEXT, kind="like", actor_id=bob.id, post_id=post.id)
    await notify(NO_CONTEXT, kind="mention", post_id=mention.id)
    page = (await alice.get("/notifications")).text
    articles = notification_articles(page)
    assert sorted(articles) == ["follow", "like", "mention"]
    for kind, sprite in (("follow", "profile"), ("like", "like"), ("mention", "direct")):
        article = articles[kind]
        kind_icon = article.split('<span class="notification__kind">')[1].split("</span>")[0]
        assert f'#{sprite}"></use>' in kind_icon
        assert placeholder("bob", "Bob", "md") in article
        # The post card's timestamp, which the posts' script keeps fresh.
        assert re.search(
            r'<time datetime="\d{4}-\d\d-\d\dT[^"]+" title="[^"]+ UTC" data-relative>'
            r'<span class="time-short" aria-hidden="true">now</span>',
            article,
        )
