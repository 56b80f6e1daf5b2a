"""Choosing and showing visibility: the composer's select and its default from /settings,
the badge on every post, the reply form's note, and the API's `visibility`."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from httpx import AsyncClient
from litestar import Litestar

from domain.posts import Post
from tests.api.helpers import caller
from tests.helpers import failure_page, post_form

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]


def selected_option(page: str, select_id: str) -> str:
    select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert select, f"the page has #{select_id}"
    chosen: list[str] = re.findall(r'<option value="([a-z]+)" selected>', select.group(0))
    assert len(chosen) == 1
    return chosen[0]


async def test_the_composer_offers_the_four_visibilities_from_the_default(
    app: Litestar, members: Members
) -> None:
    alice = await members("alice")
    home = (await alice.get("/")).text
    assert '<label for="field-visibility">Who can see it</label>' in home
    assert selected_option(home, "field-visibility") == "public"
    options = re.findall(r'<option value="([a-z]+)"', home)
    assert options[:4] == ["public", "unlisted", "private", "direct"]
    saved = await post_form(alice, "/settings/visibility", {"default_visibility": "private"})
    assert saved.status_code == 303
    assert selected_option((await alice.get("/")).text, "field-visibility") == "private"
    settings = (await alice.get("/settings")).text
    assert "Default post visibility" in settings
    assert selected_option(settings, "field-default_visibility") == "private"
    # A post written without choosing takes the default.
    await post_form(alice, "/posts", {"text": "quietly"})
    assert (await Post.select(Post.visibility).first()) == {"visibility": "private"}


async def test_a_bad_default_visibility_is_shown_on_the_settings_page(
    app: Litestar, members: Members
) -> None:
    alice = await members("alice")
    response = await failure_page(
        alice, await post_form(alice, "/settings/visibility", {"default_visibility": "friends"})
    )
    assert response.status_code == 422
    assert "Visibility must be one of: public, unlisted, private, direct." in response.text
    assert 'aria-invalid="true"' in response.text


async def test_a_bad_visibility_in_the_composer_keeps_the_text(
    app: Litestar, members: Members
) -> None:
    alice = await members("alice")
    response = await failure_page(
        alice, await post_form(alice, "/posts", {"text": "kept", "visibility": "everyone"})
    )
    assert response.status_code == 422
    assert "Visibility must be one of" in response.text and ">kept</textarea>" in response.text
    assert await Post.count() == 0


async def test_every_post_shows_its_visibility_with_an_icon_and_text(
    app: Litestar, members: Members
) -> None:
    alice = await members("alice")
    labels = {
        "public": "Public",
        "unlisted": "Unlisted",
        "private": "Followers only",
        "direct": "Mentioned people only",
    }
    for visibility in labels:
        response = await post_form(
            alice, "/posts", {"text": f"a {visibility} post", "visibility": visibility}
        )
        assert response.status_code == 303
    profile = (await alice.get("/@alice")).text
    for visibility, label in labels.items():
        badge = re.search(
            rf'<span class="visibility-badge"><svg class="icon icon--{visibility}"[^>]*>'
            rf'<use href="[^"]*sprite.svg[^"]*#{visibility}"></use></svg>'
            rf'<span class="visually-hidden">Visibility: </span>{label}</span>',
            profile,
        )
        assert badge, visibility
    private = await Post.select(Post.id).where(Post.visibility == "private").first()
    assert private is not None
    permalink = (await alice.get(f"/@alice/{private['id']}")).text
    assert "Followers only" in permalink
    assert "Seen by whoever sees this post (followers only)." in permalink


async def test_the_api_takes_and_returns_visibility(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    for visibility in ("public", "unlisted", "private", "direct"):
        status = await alice.status("hi", visibility=visibility)
        assert status["visibility"] == visibility
        shown = await alice.get(f"/api/v1/statuses/{status['id']}")
        assert shown.json()["visibility"] == visibility
    bad = await alice.post("/api/v1/statuses", data={"status": "hi", "visibility": "friends"})
    assert bad.status_code == 422
    assert bad.json() == {
        "error": "Validation failed: Visibility must be one of: public, unlisted, private, direct."
    }


async def test_the_api_default_is_source_privacy(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    changed = await alice.patch(
        "/api/v1/accounts/update_credentials", data={"source[privacy]": "unlisted"}
    )
    assert changed.json()["source"]["privacy"] == "unlisted"
    preferences = (await alice.get("/api/v1/preferences")).json()
    assert preferences["posting:default:visibility"] == "unlisted"
    assert (await alice.status("no visibility said"))["visibility"] == "unlisted"


async def test_an_api_reply_is_narrowed_to_its_post_never_narrower(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("unlisted thoughts", visibility="unlisted")
    wider = await alice.status("a reply", in_reply_to_id=post["id"], visibility="public")
    assert wider["visibility"] == "unlisted"
    same = await alice.status("a reply", in_reply_to_id=post["id"])
    assert same["visibility"] == "unlisted"
    narrower = await alice.post(
        "/api/v1/statuses",
        data={"status": "psst", "in_reply_to_id": post["id"], "visibility": "direct"},
    )
    assert narrower.status_code == 422
    assert "this post is unlisted, so its replies are unlisted too" in narrower.json()["error"]
