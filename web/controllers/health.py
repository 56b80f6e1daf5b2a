"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import asyncio
from typing import Any

from asyncpg.exceptions import PostgresError
from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from redis.asyncio import Redis
from redis.exceptions import RedisError
from saq import Queue

from domain.piccolo_app import pending_migrations

PROBE_TIMEOUT_SECONDS = 2.0


async def _database_and_migrations() -> tuple[str, dict[str, Any]]:
    try:
        pending = await asyncio.wait_for(pending_migrations(), PROBE_TIMEOUT_SECONDS)
    except (OSError, PostgresError, TimeoutError):
        return "down", {"state": "unknown"}
    if pending:
        return "ok", {"state": "pending", "pending": pending}
    return "ok", {"state": "ok"}


async def _redis_and_queue(redis: Redis, queue: Queue) -> tuple[str, dict[str, Any]]:
    try:
        await asyncio.wait_for(redis.ping(), PROBE_TIMEOUT_SECONDS)
        queued = await asyncio.wait_for(queue.count("queued"), PROBE_TIMEOUT_SECONDS)
    except (OSError, RedisError, TimeoutError):
        # The site keeps serving from Postgres without Redis, so this is not fatal.
        return "degraded", {"state": "degraded"}
    return "ok", {"state": "ok", "queued": queued}


class HealthController(Controller):
    path = "/health"
    include_in_schema = False

    @get("/live", media_type=MediaType.JSON)
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", media_type=MediaType.JSON)
    async def ready(
        self, redis: NamedDependency[Redis], queue: NamedDependency[Queue]
    ) -> Response[dict[str, Any]]:
        (database, migrations), (redis_state, queue_state) = await asyncio.gather(
            _database_and_migrations(), _redis_and_queue(redis, queue)
        )
        ready = database == "ok" and migrations["state"] == "ok"
        body = {
            "status": "ready" if ready else "unavailable",
            "database": database,
            "migrations": migrations,
            "redis": redis_state,
            "queue": queue_state,
        }
        return Response(body, status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE)
