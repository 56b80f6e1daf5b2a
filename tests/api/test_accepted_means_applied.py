"""Accepted means applied: every parameter a write endpoint of the API accepts is applied, one
it does not support is refused with 422 naming it, and one left out keeps the stored value
(issue 11, item 9). Also through Mastodon.py against a running server."""

from __future__ import annotations

import io
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError
from PIL import Image

from domain.accounts import User
from tests.api.helpers import Caller, caller
from tests.api.test_real_clients import logged_in, make_user
from tests.helpers import csrf_token, failure_page

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]

CREDENTIALS = "/api/v1/accounts/update_credentials"
LINK_REL = 'rel="nofollow noopener ugc me"'


def picture(width: int = 60, height: int = 40, color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def fields_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["name"], f["value"]) for f in body["source"]["fields"]]


async def send(who: Caller, method: str, url: str, request: dict[str, Any]) -> Response:
    """`request` holds httpx's `data`, `json` or `files`."""
    response: Response = await who.client.request(method, url, headers=who.headers, **request)
    return response


# ---------------------------------------------------------------- update_credentials

# (what is sent, a check of the CredentialAccount answered)
APPLIED: dict[str, tuple[dict[str, Any], Any]] = {
    "display_name": ({"data": {"display_name": "Al"}}, lambda b: b["display_name"] == "Al"),
    "note": ({"data": {"note": "Hi"}}, lambda b: b["source"]["note"] == "Hi"),
    "bot form 1": ({"data": {"bot": "1"}}, lambda b: b["bot"] is True),
    "bot json": ({"json": {"bot": True}}, lambda b: b["bot"] is True),
    "fields form": (
        {"data": {"fields_attributes[0][name]": "Pronouns", "fields_attributes[0][value]": "she"}},
        lambda b: fields_of(b) == [("Pronouns", "she")],
    ),
    "fields json": (
        {"json": {"fields_attributes": [{"name": "A", "value": "1"}, {"name": "B", "value": ""}]}},
        lambda b: fields_of(b) == [("A", "1"), ("B", "")],
    ),
    "fields json object": (
        {"json": {"fields_attributes": {"1": {"name": "B", "value": "2"}, "0": {"name": "A"}}}},
        lambda b: fields_of(b) == [("A", ""), ("B", "2")],
    ),
    "locked false": ({"data": {"locked": "false"}}, lambda b: b["locked"] is False),
    "locked true": ({"data": {"locked": "true"}}, lambda b: b["locked"] is True),
    "locked json": ({"json": {"locked": True}}, lambda b: b["locked"] is True),
    "discoverable true": ({"data": {"discoverable": "true"}}, lambda b: b["discoverable"]),
    "indexable true": ({"json": {"indexable": True}}, lambda b: b["indexable"]),
    "hide_collections false": ({"data": {"hide_collections": "0"}}, lambda b: True),
    "source privacy public": (
        {"data": {"source[privacy]": "public"}},
        lambda b: b["source"]["privacy"] == "public",
    ),
    "source json": (
        {"json": {"source": {"privacy": "public", "sensitive": False}}},
        lambda b: True,
    ),
    "source privacy private": (
        {"data": {"source[privacy]": "private"}},
        lambda b: b["source"]["privacy"] == "private",
    ),
    "source privacy json": (
        {"json": {"source": {"privacy": "unlisted"}}},
        lambda b: b["source"]["privacy"] == "unlisted",
    ),
    "avatar": (
        {"files": {"avatar": ("a.png", picture(), "image/png")}},
        lambda b: "/media/" in b["avatar"] and "missing" not in b["avatar"],
    ),
    "header": (
        {"files": {"header": ("h.png", picture(300, 100), "image/png")}},
        lambda b: "/media/" in b["header"] and "missing" not in b["header"],
    ),
}

# (what is sent, the parameter the 422 names)
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "locked not a boolean": ({"data": {"locked": "maybe"}}, "locked must be true or false"),
    "locked json not a boolean": ({"json": {"locked": "yes please"}}, "locked must be true"),
    "locked json number": ({"json": {"locked": 2}}, "locked must be true or false"),
    "discoverable": ({"data": {"discoverable": "false"}}, "(discoverable)"),
    "indexable": ({"data": {"indexable": "0"}}, "(indexable)"),
    "hide_collections": ({"data": {"hide_collections": "1"}}, "(hide_collections)"),
    "source privacy unknown": (
        {"data": {"source[privacy]": "friends"}},
        "Visibility must be one of: public, unlisted, private, direct",
    ),
    "source sensitive": ({"data": {"source[sensitive]": "true"}}, "(source[sensitive])"),
    "source language": ({"json": {"source": {"language": "en"}}}, "(source[language])"),
    "attribution_domains": (
        {"data": {"attribution_domains[]": "example.com"}},
        "(attribution_domains)",
    ),
    "bot not a boolean": ({"data": {"bot": "maybe"}}, "bot must be true or false"),
    "avatar as text": ({"data": {"avatar": "http://x/a.png"}}, "avatar must be an image file"),
    "avatar not an image": (
        {"files": {"avatar": ("a.png", b"not an image", "image/png")}},
        "not a JPEG, PNG, WebP or GIF image",
    ),
    "five fields": (
        {"json": {"fields_attributes": [{"name": str(i), "value": "v"} for i in range(5)]}},
        "at most 4 fields",
    ),
    "field without a name": (
        {"data": {"fields_attributes[0][value]": "orphan"}},
        "needs a name",
    ),
    "fields not numbered": (
        {"data": {"fields_attributes[a][name]": "x"}},
        "fields_attributes must be numbered",
    ),
    "fields not text": ({"json": {"fields_attributes": [{"name": 5}]}}, "must be text"),
}


@pytest.mark.parametrize("name", list(APPLIED))
async def test_update_credentials_applies(client: AsyncClient, name: str) -> None:
    alice = await caller(client, "alice")
    request, check = APPLIED[name]
    response = await send(alice, "PATCH", CREDENTIALS, request)
    assert response.status_code == 200, response.text
    assert check(response.json()), response.json()
    # Applied means stored: a fresh read says the same.
    assert check((await alice.get("/api/v1/accounts/verify_credentials")).json())


@pytest.mark.parametrize("name", list(REFUSED))
async def test_update_credentials_refuses(client: AsyncClient, name: str) -> None:
    alice = await caller(client, "alice")
    before = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    request, named = REFUSED[name]
    response = await send(alice, "PATCH", CREDENTIALS, request)
    assert response.status_code == 422, response.text
    assert named in response.json()["error"]
    # Nothing of a refused request is saved.
    assert (await alice.get("/api/v1/accounts/verify_credentials")).json() == before


async def test_update_credentials_omitted_keeps_values(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    full = await alice.patch(
        CREDENTIALS,
        data={
            "display_name": "Alice A.",
            "note": "Bio",
            "bot": "true",
            "fields_attributes[0][name]": "Site",
            "fields_attributes[0][value]": "https://example.com/alice",
        },
        files={
            "avatar": ("a.png", picture(), "image/png"),
            "header": ("h.png", picture(300, 100, "navy"), "image/png"),
        },
    )
    assert full.status_code == 200, full.text
    set_up = full.json()
    for only in ({"display_name": "Al"}, {"note": "New bio"}, {}):
        changed = (await alice.patch(CREDENTIALS, data=only)).json()
        for key in ("avatar", "header", "fields", "bot"):
            assert changed[key] == set_up[key], (only, key)
        assert changed["source"]["fields"] == set_up["source"]["fields"]
    final = (await alice.patch(CREDENTIALS, data={"bot": "false"})).json()
    assert (final["display_name"], final["source"]["note"], final["bot"]) == (
        "Al",
        "New bio",
        False,
    )
    assert final["fields"] == set_up["fields"] and final["avatar"] == set_up["avatar"]
    # An empty list of fields clears them.
    cleared = await alice.patch(CREDENTIALS, json={"fields_attributes": []})
    assert cleared.json()["fields"] == []


async def test_profile_fields_are_plain_text_and_links(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    response = await alice.patch(
        CREDENTIALS,
        json={
            "bot": True,
            "fields_attributes": [
                {"name": "Site", "value": "https://example.com/a?b=1&c=2"},
                {"name": "<b>Bold</b>", "value": "<script>x</script> https://example.com"},
                {"name": "", "value": ""},
            ],
        },
    )
    assert response.status_code == 200, response.text
    site, bold = response.json()["fields"]
    assert site["value"] == (
        '<a href="https://example.com/a?b=1&amp;c=2" '
        f'{LINK_REL} target="_blank">https://example.com/a?b=1&amp;c=2</a>'
    )
    assert site["verified_at"] is None
    assert bold["name"] == "<b>Bold</b>"  # a name is plain text, as in Mastodon
    assert bold["value"] == "&lt;script&gt;x&lt;/script&gt; https://example.com"
    assert (
        response.json()["source"]["fields"][1]["value"] == "<script>x</script> https://example.com"
    )

    page = (await client.get("/@alice")).text
    assert "Automated account" in page
    assert f'{LINK_REL} target="_blank">https://example.com/a?b=1&amp;c=2</a>' in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page and "<script>x" not in page
    account = (await client.get(f"/api/v1/accounts/{alice.user.id}")).json()
    assert account["bot"] is True and len(account["fields"]) == 2


async def test_the_settings_form_saves_the_same_profile(members: Members) -> None:
    alice = await members("alice")
    form = {
        "display_name": "Alice",
        "bio": "",
        "field_name_0": "Site",
        "field_value_0": "https://example.com/alice",
        "field_name_2": "Likes",
        "field_value_2": "tea",
        "bot": "on",
        "_csrf_token": await csrf_token(alice),
    }
    header = {"header": ("h.png", picture(300, 100), "image/png")}
    response = await alice.post("/settings/profile", data=form, files=header)
    assert response.status_code == 303, response.text
    user = await User.objects().where(User.username == "alice").first()
    assert user is not None and user.bot and user.header is not None
    assert (user.field_names, user.field_values) == (
        ["Site", "Likes"],
        ["https://example.com/alice", "tea"],
    )
    edit_page = (await alice.get("/settings/profile")).text
    assert 'value="https://example.com/alice"' in edit_page and 'name="field_name_3"' in edit_page
    assert 'id="field-bot" name="bot" checked' in edit_page

    unticked = {**form, "bot": "", "field_name_0": "", "_csrf_token": await csrf_token(alice)}
    refused = await failure_page(alice, await alice.post("/settings/profile", data=unticked))
    assert refused.status_code == 422 and "Field 1 needs a name." in refused.text
    assert 'value="https://example.com/alice"' in refused.text  # what was typed stays
    unchanged = await User.objects().where(User.username == "alice").first()
    assert unchanged is not None and unchanged.bot and unchanged.field_names == ["Site", "Likes"]


# ---------------------------------------------------------------- media


async def test_media_focus_is_stored_and_keeps_the_description(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    made = await alice.post(
        "/api/v2/media",
        data={"description": "A teal field", "focus": "0.5,-0.25"},
        files={"file": ("p.png", picture(), "image/png")},
    )
    assert made.status_code == 200, made.text
    media_id = made.json()["id"]
    assert made.json()["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    url = f"/api/v1/media/{media_id}"
    moved = await send(alice, "PUT", url, {"data": {"focus": "-1,1"}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["description"] == "A teal field"
    assert moved.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    described = await send(alice, "PUT", url, {"json": {"description": "Teal"}})
    assert described.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    for bad in ("2,0", "0.5", "a,b", "nan,0", "0,0,0"):
        refused = await send(alice, "PUT", url, {"data": {"focus": bad}})
        assert refused.status_code == 422 and "focus" in refused.json()["error"], bad
    thumbnail = await send(
        alice, "PUT", url, {"files": {"thumbnail": ("t.png", picture(), "image/png")}}
    )
    assert thumbnail.status_code == 422 and "(thumbnail)" in thumbnail.json()["error"]
    assert (await alice.get(url)).json()["description"] == "Teal"
    # The next post with it is not refused for want of a description.
    posted = await alice.post("/api/v1/statuses", data={"status": "Look", "media_ids[]": media_id})
    assert posted.status_code == 200, posted.text
    [attachment] = posted.json()["media_attachments"]
    assert attachment["description"] == "Teal"
    assert attachment["meta"]["focus"] == {"x": -1.0, "y": 1.0}  # the post keeps it too
    shown = await alice.get(f"/api/v1/statuses/{posted.json()['id']}")
    assert shown.json()["media_attachments"][0]["meta"]["focus"] == {"x": -1.0, "y": 1.0}


# ---------------------------------------------------------------- statuses


async def test_sensitive_is_stored_shown_and_refused_on_replies(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    made = await alice.post(
        "/api/v2/media",
        data={"description": "A sensitive picture"},
        files={"file": ("p.png", picture(), "image/png")},
    )
    status = await alice.status(
        "Careful", **{"media_ids[]": made.json()["id"], "sensitive": "true"}
    )
    assert status["sensitive"] is True
    assert (await alice.get(f"/api/v1/statuses/{status['id']}")).json()["sensitive"] is True
    plain = await alice.status("Plain")
    assert plain["sensitive"] is False
    assert (await alice.status("Said false", sensitive="0"))["sensitive"] is False

    permalink = (await client.get(f"/@alice/{status['id']}")).text
    assert '<details class="post-image post-image--sensitive">' in permalink
    assert "A sensitive picture" in permalink
    assert '<details class="post-image' not in (await client.get(f"/@alice/{plain['id']}")).text

    reply = await alice.post(
        "/api/v1/statuses",
        data={"status": "Re", "in_reply_to_id": plain["id"], "sensitive": "true"},
    )
    assert reply.status_code == 422 and "sensitive" in reply.json()["error"]
    bad = await alice.post("/api/v1/statuses", data={"status": "x", "sensitive": "very"})
    assert bad.status_code == 422 and "sensitive must be true or false" in bad.json()["error"]


async def test_language_is_stored_on_posts_and_replies(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    post = await alice.status("Bonjour", language="fr")
    assert post["language"] == "fr"
    reply = await alice.status("Olá", in_reply_to_id=post["id"], language="pt-BR")
    assert reply["language"] == "pt-BR"
    context = (await alice.get(f"/api/v1/statuses/{post['id']}/context")).json()
    assert context["descendants"][0]["language"] == "pt-BR"
    assert (await alice.get(f"/api/v1/statuses/{post['id']}")).json()["language"] == "fr"
    assert (await alice.status("Unsaid"))["language"] is None
    for bad in ("english", "e", "en_US!"):
        refused = await alice.post("/api/v1/statuses", data={"status": "x", "language": bad})
        assert refused.status_code == 422 and "language" in refused.json()["error"], bad


# ---------------------------------------------------------------- follows

FOLLOW_CASES: dict[str, tuple[dict[str, Any], int, str]] = {
    "defaults": ({"data": {}}, 200, ""),
    "reblogs true, notify false": ({"data": {"reblogs": "true", "notify": "false"}}, 200, ""),
    "reblogs false": ({"data": {"reblogs": "false"}}, 422, "(reblogs)"),
    "notify": ({"json": {"notify": True}}, 422, "(notify)"),
    "languages": ({"data": {"languages[]": "en"}}, 422, "(languages)"),
    "reblogs not a boolean": ({"data": {"reblogs": "2"}}, 422, "reblogs must be true or false"),
}


@pytest.mark.parametrize("name", list(FOLLOW_CASES))
async def test_follow_options(client: AsyncClient, name: str) -> None:
    alice = await caller(client, "alice")
    bob = await caller(client, "bob")
    request, status, named = FOLLOW_CASES[name]
    response = await send(alice, "POST", f"/api/v1/accounts/{bob.user.id}/follow", request)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["following"] is True
    else:
        assert named in response.json()["error"]
        relationship = await alice.get(f"/api/v1/accounts/relationships?id[]={bob.user.id}")
        assert relationship.json()[0]["following"] is False


# ---------------------------------------------------------------- Mastodon.py


def test_mastodon_py_updates_the_profile_and_posts_sensitive(
    live_server: str, tmp_path: Path
) -> None:
    make_user("frank")
    api: Mastodon = logged_in(live_server, "frank")
    avatar = tmp_path / "avatar.png"
    avatar.write_bytes(picture(80, 80, "orange"))
    account = api.account_update_credentials(
        avatar=str(avatar),
        fields=[("Site", "https://example.com/frank"), ("Likes", "tea")],
        bot=True,
    )
    assert account.bot is True and "missing" not in account.avatar
    assert [(f.name, f.value) for f in account.source.fields] == [
        ("Site", "https://example.com/frank"),
        ("Likes", "tea"),
    ]
    assert account.fields[0].verified_at is None
    assert api.me().display_name == "Frank"  # left out: kept
    assert api.account_update_credentials(locked=True).locked is True
    assert api.me().locked is True
    with pytest.raises(MastodonAPIError) as locked:
        api.account_update_credentials(discoverable=False)
    assert locked.value.args[1] == 422 and "(discoverable)" in str(locked.value)

    picture_path = tmp_path / "p.png"
    picture_path.write_bytes(picture())
    uploaded = api.media_post(str(picture_path), description="Orange", focus=(0.1, 0.2))
    status = api.status_post("Spoilers ahead", media_ids=[uploaded], sensitive=True)
    assert status.sensitive is True
    assert api.status(status).sensitive is True
    assert api.status_post("Not sensitive").sensitive is False
