"""WebFinger, host-meta and NodeInfo: what other software reads to find the server and its
accounts. Every URL comes from PUBLIC_URL (http://agora.test in tests), never the Host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from httpx import AsyncClient

from domain.accounts import User
from domain.moderation import suspend
from tests.api.helpers import caller, make_user

BASE = "http://agora.test"
NODEINFO_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"


async def webfinger(client: AsyncClient, resource: str) -> tuple[int, dict[str, Any]]:
    response = await client.get("/.well-known/webfinger", params={"resource": resource})
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "resource",
    [
        "acct:alice@agora.test",
        "acct:ALICE@Agora.Test",
        "acct:@alice@agora.test",
        f"{BASE}/@alice",
    ],
)
async def test_webfinger_finds_a_local_account(client: AsyncClient, resource: str) -> None:
    await make_user("alice")
    response = await client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["subject"] == "acct:alice@agora.test"
    assert body["aliases"] == [f"{BASE}/@alice"]
    links = {link["rel"]: link for link in body["links"]}
    assert links["http://webfinger.net/rel/profile-page"]["href"] == f"{BASE}/@alice"
    assert links["self"] == {"rel": "self", "type": "text/html", "href": f"{BASE}/@alice"}
    # The profile page it names is real.
    assert (await client.get("/@alice")).status_code == 200


async def test_webfinger_answers_404_for_accounts_not_here(client: AsyncClient) -> None:
    await make_user("alice")
    for resource in (
        "acct:nobody@agora.test",
        "acct:alice@elsewhere.example",
        "https://elsewhere.example/@alice",
        f"{BASE}/@nobody",
        f"{BASE}/@alice/123",
        f"{BASE}/explore",
        "acct:not-a-username!@agora.test",
    ):
        status, body = await webfinger(client, resource)
        assert (status, "error" in body) == (404, True), resource
    await suspend(await _staff(), "alice")
    status, _ = await webfinger(client, "acct:alice@agora.test")
    assert status == 404


async def _staff() -> User:
    admin = await make_user("admin")
    admin.role = "admin"
    await admin.save()
    return admin


@pytest.mark.parametrize(
    "resource", ["", "alice", "alice@agora.test", "acct:alice", "acct:@agora.test", "ftp://x/@a"]
)
async def test_webfinger_refuses_a_malformed_resource(client: AsyncClient, resource: str) -> None:
    await make_user("alice")
    status, body = await webfinger(client, resource)
    assert status == 400
    assert "acct:name@domain" in body["error"]


async def test_webfinger_without_a_resource_is_400(client: AsyncClient) -> None:
    response = await client.get("/.well-known/webfinger")
    assert response.status_code == 400 and "acct:" in response.json()["error"]


async def test_discovery_ignores_the_host_header(client: AsyncClient) -> None:
    """An allowed extra host name (ALLOWED_HOSTS) still gets the public URL's names."""
    await make_user("alice")
    response = await client.get(
        "/.well-known/webfinger",
        params={"resource": "acct:alice@agora.test"},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 400  # refused before discovery: not an allowed host
    links = (await client.get("/.well-known/nodeinfo", headers={"Host": "agora.test:8443"})).json()
    assert all(link["href"].startswith(f"{BASE}/nodeinfo/") for link in links["links"])


async def test_host_meta_points_at_webfinger(client: AsyncClient) -> None:
    response = await client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    root = ElementTree.fromstring(response.text)
    namespace = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
    assert root.tag == f"{namespace}XRD"
    [link] = root.findall(f"{namespace}Link")
    assert link.get("rel") == "lrdd"
    template = link.get("template") or ""
    assert template == f"{BASE}/.well-known/webfinger?resource={{uri}}"
    # Following the template works.
    await make_user("alice")
    path = template.removeprefix(BASE).replace("{uri}", "acct:alice@agora.test")
    assert (await client.get(path)).json()["subject"] == "acct:alice@agora.test"


async def test_nodeinfo_links_to_both_versions(client: AsyncClient) -> None:
    response = await client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "links": [
            {"rel": NODEINFO_20, "href": f"{BASE}/nodeinfo/2.0"},
            {"rel": NODEINFO_21, "href": f"{BASE}/nodeinfo/2.1"},
        ]
    }


async def test_nodeinfo_counts_users_activity_and_posts(client: AsyncClient) -> None:
    alice = await caller(client, "alice")  # a token was issued: signed in now
    await alice.status("one")
    await alice.status("two")
    await _sign_up_signed_in_at("bob", timedelta(days=45))
    await _sign_up_signed_in_at("carol", timedelta(days=200))
    await _sign_up_signed_in_at("dave", timedelta(days=1))
    await suspend(await _staff(), "dave")
    # admin signed up now; dave is suspended and counts nowhere.
    for version, rel in (("2.0", NODEINFO_20), ("2.1", NODEINFO_21)):
        response = await client.get(f"/nodeinfo/{version}")
        assert response.status_code == 200
        assert response.headers["content-type"] == f'application/json; profile="{rel}#"'
        body = response.json()
        assert body["version"] == version
        assert body["software"] == {"name": "agora", "version": "0.1.0"}
        assert body["protocols"] == []
        assert body["services"] == {"inbound": [], "outbound": []}
        assert body["openRegistrations"] is True
        assert body["usage"] == {
            "users": {"total": 4, "activeMonth": 2, "activeHalfyear": 3},
            "localPosts": 2,
        }
        assert body["metadata"]["nodeName"] == "Agora"
        assert body["metadata"]["upstream"] == {"name": "mastodon", "version": "4.3.0"}
    assert (await client.get("/nodeinfo/1.0")).status_code == 404
    v2 = (await client.get("/api/v2/instance")).json()
    assert v2["usage"] == {"users": {"active_month": 2}}


async def _sign_up_signed_in_at(username: str, ago: timedelta) -> User:
    user = await make_user(username)
    user.last_active_at = datetime.now(UTC) - ago
    await user.save()
    return user
