"""Health probes, metrics, and how the app behaves when Redis or Postgres is unreachable."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from httpx import AsyncClient
from litestar import Litestar

from domain.accounts import Session
from domain.core.settings import get_settings
from tests.browser.conftest import free_port, start_web
from tests.conftest import http_client, serve_app
from tests.helpers import log_in, log_out, sign_up

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
UNREACHABLE_POSTGRES = "postgresql://postgres@127.0.0.1:1/agora_test"


async def test_live_and_ready_when_everything_is_up(client: AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["migrations"] == {"state": "ok"}
    assert body["redis"] == "ok"
    assert body["queue"]["state"] == "ok"


async def test_ready_is_503_while_a_migration_is_pending(client: AsyncClient) -> None:
    from piccolo.apps.migrations.tables import Migration

    # Its `id`, which Piccolo adds but the class does not declare for type checkers.
    migration_id = Migration._meta.primary_key
    last = await Migration.select().order_by(migration_id, ascending=False).first()
    assert last is not None
    await Migration.delete().where(migration_id == last["id"])
    try:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["migrations"] == {"state": "pending", "pending": [last["name"]]}
    finally:
        await Migration.insert(Migration(**{k: v for k, v in last.items() if k != "id"}))
    assert (await client.get("/health/ready")).status_code == 200


@pytest.fixture
async def app_without_redis() -> AsyncIterator[Litestar]:
    settings = dataclasses.replace(get_settings(), redis_url=UNREACHABLE_REDIS)
    async with serve_app(settings) as application:
        yield application


async def test_redis_down_is_degraded_not_fatal(app_without_redis: Litestar) -> None:
    async with http_client(app_without_redis) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["redis"] == "degraded"
        assert ready.json()["queue"] == {"state": "degraded"}
        # Accounts keep working: sessions live in Postgres, rate limits fall back to memory.
        assert (await sign_up(client, "ruth")).status_code == 303
        assert "@ruth" in (await client.get("/")).text
        await log_out(client)
        assert (await log_in(client, "ruth")).status_code == 303
        assert await Session.count() == 1


async def test_rate_limit_still_applies_while_redis_is_down(app_without_redis: Litestar) -> None:
    async with http_client(app_without_redis) as client:
        statuses = [
            (await log_in(client, "nobody", "wrong password")).status_code for _ in range(11)
        ]
        assert statuses[:10] == [401] * 10
        assert statuses[10] == 429


async def test_metrics_count_requests_by_route(client: AsyncClient) -> None:
    await client.get("/login")
    await client.get("/login")
    metrics = (await client.get("/metrics")).text
    assert "# TYPE agora_requests_total counter" in metrics
    assert 'path="/login"' in metrics
    assert "agora_request_duration_seconds_bucket" in metrics


@pytest.mark.parametrize(
    ("environment", "token", "authorization", "status"),
    [
        ("production", "s3cret-token", "Bearer s3cret-token", 200),
        ("development", "s3cret-token", "bearer s3cret-token", 200),
        ("production", "s3cret-token", "", 401),
        ("production", "s3cret-token", "Bearer wrong", 401),
        ("production", "s3cret-token", "Bearer s3cret-token-and-more", 401),
        ("production", "s3cret-token", "Basic czNjcmV0LXRva2Vu", 401),
        ("development", "s3cret-token", "Bearer", 401),
        ("production", "", "Bearer anything", 403),
        ("production", "", "", 403),
        ("development", "", "", 200),
    ],
)
async def test_metrics_need_the_token_when_one_is_set_and_one_in_production(
    environment: str, token: str, authorization: str, status: int
) -> None:
    settings = dataclasses.replace(get_settings(), environment=environment, metrics_token=token)
    async with serve_app(settings) as application, http_client(application) as client:
        headers = {"Authorization": authorization} if authorization else {}
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert "agora_dead_letters" in response.text
        assert "agora_outbox_backlog" in response.text
        return
    assert "agora_" not in response.text  # a refusal shows no metric
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert "Authorization: Bearer <METRICS_TOKEN>" in response.text
    else:
        assert "set METRICS_TOKEN" in response.text


@pytest.fixture
def server_without_postgres() -> Iterator[str]:
    port = free_port()
    process = start_web(port, {**os.environ, "DATABASE_URL": UNREACHABLE_POSTGRES})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health/live", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_postgres_down_gives_503_not_a_crash(server_without_postgres: str) -> None:
    base = server_without_postgres
    assert httpx.get(f"{base}/health/live").status_code == 200
    ready = httpx.get(f"{base}/health/ready", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["database"] == "down"
    # A logged-in visitor's request must look up the session in Postgres.
    page = httpx.get(f"{base}/", cookies={"agora_session": "some-session-token"}, timeout=10)
    assert page.status_code == 503
    assert "cannot reach its database" in page.text
    assert page.headers["retry-after"] == "5"
