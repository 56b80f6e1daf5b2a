"""The design system's server side (issue 12): the theme setting, the app icons and manifest,
the development-only styleguide, the nav's unread badge, the icon sprite and the size budget."""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.plugins.jinja import JinjaTemplateEngine
from PIL import Image

from domain import accounts, social
from domain.core.settings import get_settings
from tasks.notification_jobs import notify
from tests.conftest import http_client, serve_app
from tests.helpers import NO_CONTEXT, failure_page, post_form
from web.static_assets import STATIC_DIR

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
# The names every page may use with {{ icon(...) }} (the design contract).
CONTRACT_ICONS = [
    "reply",
    "like",
    "bookmark",
    "share",
    "more",
    "public",
    "unlisted",
    "private",
    "direct",
    "home",
    "explore",
    "search",
    "notifications",
    "profile",
    "settings",
    "bookmarks",
    "compose",
    "logout",
    "messages",
    "image",
    "close",
]
BUDGET_BYTES = 60 * 1024


def html_tag(page: str) -> str:
    match = re.search(r"<html[^>]*>", page)
    assert match, "the page has an <html> tag"
    return match.group(0)


def theme_colours(page: str) -> list[tuple[str, str]]:
    """(content, media) of each theme-color meta; media is "" when the meta has none."""
    metas = re.findall(r'<meta name="theme-color"[^>]*>', page)
    return [
        (
            re.search(r'content="([^"]*)"', meta).group(1),  # type: ignore[union-attr]
            (found.group(1) if (found := re.search(r'media="([^"]*)"', meta)) else ""),
        )
        for meta in metas
    ]


async def theme_of(username: str) -> str:
    user = await accounts.find_user(username)
    assert user is not None
    return str(user.theme)


async def test_a_member_follows_the_device_until_choosing_a_theme(members: Members) -> None:
    ada = await members("ada")
    page = (await ada.get("/settings")).text
    assert html_tag(page) == '<html lang="en">'
    assert '<input type="radio" name="theme" value="auto" checked>' in page
    assert '<meta name="color-scheme" content="light dark">' in page
    assert theme_colours(page) == [
        ("#ffffff", "(prefers-color-scheme: light)"),
        ("#161922", "(prefers-color-scheme: dark)"),
    ]


@pytest.mark.parametrize(("theme", "colour"), [("dark", "#161922"), ("light", "#ffffff")])
async def test_a_chosen_theme_is_saved_and_rendered_on_every_page(
    members: Members, theme: str, colour: str
) -> None:
    ada = await members("ada")
    saved = await post_form(ada, "/settings/theme", {"theme": theme})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings#appearance-heading"
    assert await theme_of("ada") == theme
    for path in ("/", "/settings", "/explore"):
        page = (await ada.get(path)).text
        assert f'data-theme="{theme}"' in html_tag(page), path
        assert f'<meta name="color-scheme" content="{theme}">' in page
        assert theme_colours(page) == [(colour, "")]
    settings_page = (await ada.get("/settings")).text
    assert f'<input type="radio" name="theme" value="{theme}" checked>' in settings_page


@pytest.mark.parametrize("sent", [{"theme": "purple"}, {"theme": ""}, {}])
async def test_a_theme_that_is_not_offered_is_refused_with_a_message(
    members: Members, sent: dict[str, str]
) -> None:
    ada = await members("ada")
    await post_form(ada, "/settings/theme", {"theme": "dark"})
    refused = await failure_page(ada, await post_form(ada, "/settings/theme", sent))
    assert refused.status_code == 422
    assert "Choose a theme: follow the device, light or dark." in refused.text
    assert 'aria-describedby="theme-hint theme-error"' in refused.text
    assert await theme_of("ada") == "dark"


async def test_visitors_follow_the_device_and_cannot_save_a_theme(client: AsyncClient) -> None:
    page = (await client.get("/")).text
    assert html_tag(page) == '<html lang="en">'
    assert theme_colours(page) == [
        ("#ffffff", "(prefers-color-scheme: light)"),
        ("#161922", "(prefers-color-scheme: dark)"),
    ]
    refused = await post_form(client, "/settings/theme", {"theme": "dark"})
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")


async def test_the_favicon_and_the_manifest_are_served_and_linked(client: AsyncClient) -> None:
    favicon = await client.get("/favicon.ico")
    assert favicon.status_code == 200
    assert favicon.headers["content-type"] == "image/x-icon"
    assert Image.open(io.BytesIO(favicon.content)).format == "ICO"

    manifest = await client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"] == "application/manifest+json"
    body = manifest.json()
    assert (body["name"], body["start_url"], body["display"]) == ("Agora", "/", "standalone")
    assert body["theme_color"].startswith("#") and body["background_color"].startswith("#")
    pngs = [icon for icon in body["icons"] if icon["type"] == "image/png"]
    assert {icon["sizes"] for icon in pngs} == {"192x192", "512x512"}
    for icon in body["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200, icon
        assert served.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            assert "maskable" in icon["purpose"].split()
            width = int(icon["sizes"].split("x")[0])
            assert Image.open(io.BytesIO(served.content)).size == (width, width)

    page = (await client.get("/")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<link rel="icon" href="/favicon.ico"' in page
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert svg and (await client.get(svg.group(1))).headers["content-type"] == "image/svg+xml"


async def test_the_styleguide_shows_every_icon_outside_production(client: AsyncClient) -> None:
    page = await client.get("/styleguide")
    assert page.status_code == 200
    for name in CONTRACT_ICONS:
        assert f"<code>{name}</code>" in page.text, name
    assert "<code>--color-accent</code>" in page.text


async def test_there_is_no_styleguide_in_production() -> None:
    settings = dataclasses.replace(
        get_settings(), environment="production", public_url="http://agora.test"
    )
    async with serve_app(settings) as application, http_client(application) as client:
        assert (await client.get("/styleguide")).status_code == 404
        assert (await client.get("/favicon.ico")).status_code == 200


def nav_notifications(page: str) -> str:
    match = re.search(r'<a id="nav-notifications".*?</a>', page, re.DOTALL)
    assert match, "the nav has the Notifications link"
    return match.group(0)


async def test_the_tab_bar_shows_unread_notifications_as_a_badge_with_a_spoken_count(
    members: Members,
) -> None:
    ada = await members("ada")
    await members("bea")
    assert 'class="badge"' not in nav_notifications((await ada.get("/")).text)
    ada_user, bea_user = await accounts.find_user("ada"), await accounts.find_user("bea")
    assert ada_user and bea_user
    await social.follow(bea_user, ada_user.id)
    await notify(NO_CONTEXT, kind="follow", actor_id=bea_user.id, user_id=ada_user.id)
    link = nav_notifications((await ada.get("/explore")).text)
    assert '<span class="badge" aria-hidden="true">1</span>' in link
    assert '<span class="visually-hidden">, 1 unread</span>' in link
    assert "aria-current" not in link
    assert 'aria-current="page"' in nav_notifications((await ada.get("/notifications")).text)


def test_a_large_unread_count_is_shortened_on_the_badge_but_not_for_screen_readers(
    app: Litestar,
) -> None:
    engine = app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    template = engine.engine.get_template("partials/nav_notifications.html")
    link = str(template.module.notifications_link(150, False))  # type: ignore[attr-defined]
    assert '<span class="badge" aria-hidden="true">99+</span>' in link
    assert ", 150 unread" in link


def test_the_sprite_draws_every_icon_of_the_contract() -> None:
    sprite = (STATIC_DIR / "icons" / "sprite.svg").read_text()
    for name in CONTRACT_ICONS:
        symbol = re.search(rf'<symbol id="{name}" viewBox="0 0 24 24">(.*?)</symbol>', sprite)
        assert symbol and re.search(r"<(path|circle|rect)", symbol.group(1)), name


def test_css_javascript_and_icons_fit_the_budget() -> None:
    files = [
        *STATIC_DIR.glob("css/*.css"),
        *STATIC_DIR.glob("js/*.js"),
        STATIC_DIR / "vendor" / "htmx.min.js",
        *STATIC_DIR.glob("icons/*.svg"),
    ]
    compressed = sum(len(gzip.compress(path.read_bytes(), 9)) for path in files)
    assert compressed <= BUDGET_BYTES, f"{compressed} bytes gzip-compressed"
