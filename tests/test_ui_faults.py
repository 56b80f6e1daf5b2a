"""Faults a tester found in the new design, kept fixed: notification icons per kind, the
notifications' unread marker, the nav badge on one line, anchors clear of the sticky top bar,
the linked bio, message times and names, and the edit-profile form's parts."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.plugins.jinja import JinjaTemplateEngine

from domain import accounts, posts
from domain.accounts import User
from web.static_assets import STATIC_DIR

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


def css(name: str) -> str:
    return (STATIC_DIR / "css" / name).read_text()


def rules(sheet: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of each rule, @media blocks flattened, comments dropped."""
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.DOTALL)
    sheet = re.sub(r"@media[^{]*\{", "", sheet)
    return [(s.strip(), d.strip()) for s, d in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet)]


@pytest.mark.parametrize(
    ("kind", "icon"),
    [
        ("follow", "profile"),
        ("follow_request", "private"),
        ("like", "like"),
        ("favourite", "like"),
        ("mention", "direct"),
        ("comment", "reply"),
        ("reply", "reply"),
    ],
)
def test_every_notification_kind_has_its_own_icon(app: Litestar, kind: str, icon: str) -> None:
    engine = app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    item = SimpleNamespace(
        id=1,
        kind=kind,
        unread=True,
        actor_username="bea",
        actor_display_name="Bea",
        actor_avatar=None,
        verb="did something",
        permalink=None,
        comment_text=None,
        post_text=None,
        created_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    )
    html = engine.engine.get_template("notifications/item.html").render(item=item)
    kind_span = re.search(r'<span class="notification__kind">(.*?)</span>', html, re.DOTALL)
    assert kind_span is not None
    assert re.search(rf'#{icon}"', kind_span.group(1)), kind_span.group(1)


def test_only_unread_notifications_carry_the_side_marker() -> None:
    for sheet in ("site.css", "people.css"):
        for selectors, declarations in rules(css(sheet)):
            if "notification" in selectors and "border-left" in declarations:
                for selector in selectors.split(","):
                    assert selector.strip() == ".notification--unread", selector
            # A modifier inside another modifier of the same block matches nothing.
            assert not re.search(r"\.(\w+)--\w+\s+\.\1--", selectors), selectors


def test_the_badge_keeps_its_count_on_one_line() -> None:
    [badge] = [d for s, d in rules(css("site.css")) if s == ".badge"]
    assert "white-space: nowrap" in badge and "min-width" in badge


def test_anchors_stop_below_the_sticky_top_bar() -> None:
    paddings = [d for s, d in rules(css("site.css")) if s == "html" and "scroll-padding-top" in d]
    assert any("--topbar-height" in d for d in paddings)  # the phone's bar
    assert len(paddings) == 2  # and none where the bar is hidden


async def test_the_bio_links_urls_and_escapes_the_rest(members: Members) -> None:
    bea = await members("bea")
    user = await accounts.find_user("bea")
    assert user is not None
    bio = "Blog: https://example.org/bea <b>bold</b>\nsecond line"
    await User.update({User.bio: bio}).where(User.id == user.id)
    page = (await bea.get("/@bea")).text
    assert f'<p class="bio" dir="auto">{posts.render_html(bio)}</p>' in page
    assert '<a href="https://example.org/bea" rel="nofollow noopener ugc">' in page
    assert "<b>bold" not in page and "&lt;b&gt;bold" in page
    # Its HTML has <br> for line breaks: kept white space as well would double them.
    for sheet in ("site.css", "people.css"):
        for selectors, declarations in rules(css(sheet)):
            assert not (re.search(r"\.bio\b", selectors) and "pre-line" in declarations), sheet


async def test_messages_show_times_by_the_macro_and_names_without_a_leading_space(
    members: Members,
) -> None:
    axel = await members("axel")
    await members("bea")
    bea = await accounts.find_user("bea")
    assert bea is not None
    first = await posts.start(bea, "axel", "Hi Axel")
    for path in ("/messages", f"/messages/{first.conversation}"):
        page = (await axel.get(path)).text
        times = re.findall(r"<time [^>]*data-relative>(.*?)</time>", page)
        assert times, path
        for inner in times:
            assert 'class="time-short"' in inner and "time-full" in inner, path
    listing = (await axel.get("/messages")).text
    title = re.search(r'<h2 class="conversation-title">\s*<a [^>]*>(.*?)</a>', listing, re.DOTALL)
    assert title is not None
    # The link's text starts at the pill, then the name: no space between to underline.
    assert re.search(r"</span><bdi>Bea</bdi>$", title.group(1)), title.group(1)


async def test_the_edit_profile_form_uses_the_designs_parts(members: Members) -> None:
    page = (await (await members("cal")).get("/settings/profile")).text
    assert page.count("data-image-picker") == 2  # avatar and header, the composer's picker
    assert '<fieldset class="fieldset' in page
    check = re.search(
        r'<div class="field">\s*<div class="check">(.*?)</div>\s*<p id="hint-bot"', page, re.DOTALL
    )
    assert check and 'id="field-bot"' in check.group(1)
