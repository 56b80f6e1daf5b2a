"""Instance v1/v2, the OpenAPI schema, rate limits, unknown routes, and cookie isolation."""

from __future__ import annotations

import dataclasses

import pytest
from httpx import AsyncClient

from domain.core.settings import get_settings
from tests.api.helpers import caller
from tests.conftest import http_client, serve_app
from tests.helpers import sign_up
from web.api import auth


async def test_instance_v1(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await alice.status("one")
    body = (await client.get("/api/v1/instance")).json()
    assert body["uri"] == "agora.test"
    assert body["version"] == "4.3.0 (compatible; Agora 0.1.0)"
    assert body["stats"] == {"user_count": 1, "status_count": 1, "domain_count": 0}
    assert body["configuration"]["statuses"]["max_characters"] == 500
    for key in ("title", "languages", "registrations", "rules", "urls", "contact_account"):
        assert key in body


async def test_instance_v2(client: AsyncClient) -> None:
    body = (await client.get("/api/v2/instance")).json()
    assert body["domain"] == "agora.test"
    assert body["version"].startswith("4.3.0 (compatible; Agora ")
    assert body["api_versions"] == {"mastodon": 2}
    assert body["configuration"]["statuses"]["max_characters"] == 500
    assert body["registrations"]["enabled"] is True


async def test_custom_emojis_is_an_empty_list(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/custom_emojis")).json() == []


async def test_openapi_schema_describes_every_api_route(client: AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert (await client.get("/schema")).json() == response.json()
    schema = response.json()
    assert schema["info"]["title"] == "Agora"
    paths = schema["paths"]
    expected = {
        "/api/v1/apps": {"post"},
        "/api/v1/apps/verify_credentials": {"get"},
        "/api/v1/instance": {"get"},
        "/api/v2/instance": {"get"},
        "/api/v1/accounts/verify_credentials": {"get"},
        "/api/v1/accounts/update_credentials": {"patch"},
        "/api/v1/accounts/relationships": {"get"},
        "/api/v1/accounts/lookup": {"get"},
        "/api/v1/accounts/{account_id}": {"get"},
        "/api/v1/accounts/{account_id}/statuses": {"get"},
        "/api/v1/accounts/{account_id}/followers": {"get"},
        "/api/v1/accounts/{account_id}/following": {"get"},
        "/api/v1/accounts/{account_id}/follow": {"post"},
        "/api/v1/accounts/{account_id}/unfollow": {"post"},
        "/api/v1/statuses": {"post"},
        "/api/v1/statuses/{status_id}": {"get", "delete"},
        "/api/v1/statuses/{status_id}/context": {"get"},
        "/api/v1/statuses/{status_id}/favourite": {"post"},
        "/api/v1/statuses/{status_id}/unfavourite": {"post"},
        "/api/v1/statuses/{status_id}/bookmark": {"post"},
        "/api/v1/statuses/{status_id}/unbookmark": {"post"},
        "/api/v1/statuses/{status_id}/favourited_by": {"get"},
        "/api/v1/timelines/home": {"get"},
        "/api/v1/timelines/public": {"get"},
        "/api/v1/timelines/tag/{hashtag}": {"get"},
        "/api/v1/bookmarks": {"get"},
        "/api/v1/favourites": {"get"},
        "/api/v2/search": {"get"},
        "/oauth/authorize": {"get", "post"},
        "/oauth/token": {"post"},
        "/oauth/revoke": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation.get("description"), (path, method)
    create = paths["/api/v1/statuses"]["post"]
    assert create["security"] == [{"OAuth2": ["write:statuses"]}]
    assert "403" in create["responses"] and "422" in create["responses"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= create["parameters"][0].items()
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["status"]
    home = paths["/api/v1/timelines/home"]["get"]
    assert {"max_id", "since_id", "min_id", "limit"} <= {p["name"] for p in home["parameters"]}
    status_schema = schema["components"]["schemas"]["Status"]["properties"]
    assert {"id", "content", "account", "favourites_count", "in_reply_to_id"} <= set(status_schema)
    assert schema["components"]["securitySchemes"]["OAuth2"]["type"] == "oauth2"


async def test_responses_carry_rate_limit_headers(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    first = await alice.get("/api/v1/timelines/home")
    second = await alice.get("/api/v1/timelines/home")
    assert first.headers["x-ratelimit-limit"] == "300"
    assert (
        int(second.headers["x-ratelimit-remaining"])
        == int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert first.headers["x-ratelimit-reset"].endswith("Z")
    error = await alice.get("/api/v1/statuses/999")
    assert error.status_code == 404 and "x-ratelimit-remaining" in error.headers


async def test_over_the_limit_is_429_with_headers(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "REQUESTS_PER_WINDOW", 3)
    alice = await caller(client, "alice")
    codes = [(await alice.get("/api/v1/timelines/home")).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    limited = await alice.get("/api/v1/timelines/home")
    assert limited.status_code == 429
    assert limited.json()["error"] == "Too many requests"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-limit"] == "3"
    assert int(limited.headers["retry-after"]) > 0
    # Limits are per account: another user is unaffected, and so are anonymous callers.
    bob = await caller(client, "bob")
    assert (await bob.get("/api/v1/timelines/home")).status_code == 200


async def test_unknown_api_routes_are_json_404(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nothing/here")
    assert response.status_code == 404 and "error" in response.json()
    wrong_method = await client.put("/api/v1/timelines/public")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


async def test_the_api_ignores_the_session_cookie(client: AsyncClient) -> None:
    # /api/ skips CSRF checks, so a logged-in browser session must not count as auth there.
    await sign_up(client, "alice")
    assert (await client.get("/api/v1/accounts/verify_credentials")).status_code == 401
    assert (await client.post("/api/v1/statuses", data={"status": "csrf"})).status_code == 401


async def test_missing_avatar_image_is_served(client: AsyncClient) -> None:
    response = await client.get("/avatars/original/missing.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")


async def test_the_api_keeps_working_while_redis_is_down() -> None:
    # Tokens live in Postgres and rate limits fall back to per-process counters.
    settings = dataclasses.replace(get_settings(), redis_url="redis://127.0.0.1:1/0")
    async with serve_app(settings) as application, http_client(application) as client:
        alice = await caller(client, "alice")
        status = await alice.status("posted without Redis")
        home = await alice.get("/api/v1/timelines/home")
        assert home.status_code == 200 and [s["id"] for s in home.json()] == [status["id"]]
        assert home.headers["x-ratelimit-limit"] == "300"


async def test_absent_features_answer_empty_in_mastodons_shape(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    preferences = (await alice.get("/api/v1/preferences")).json()
    assert preferences["posting:default:visibility"] == "public"
    for url in ("/api/v1/lists", "/api/v1/filters", "/api/v1/notifications"):
        response = await alice.get(url)
        assert response.status_code == 200 and response.json() == [], url
    assert (await alice.get("/api/v1/markers")).json() == {}
    assert (await client.get("/api/v1/notifications")).status_code == 401
    profile_only = await caller(client, "bob", scopes="profile")
    assert (await profile_only.get("/api/v1/notifications")).status_code == 403


async def test_instance_details_clients_ask_for_at_start_up(client: AsyncClient) -> None:
    """Answered truthfully empty rather than 404: Agora has no rules list, does not federate
    and does not translate."""
    for path, empty in (
        ("/api/v1/instance/rules", []),
        ("/api/v1/instance/peers", []),
        ("/api/v1/instance/domain_blocks", []),
        ("/api/v1/instance/translation_languages", {}),
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.json() == empty, path
