"""GET /metrics: Prometheus text, with the queue's, the outbox's and the dead-letter record's
sizes read at scrape time.

With `METRICS_TOKEN` set, only `Authorization: Bearer <token>` is answered (401 otherwise);
without one it is open in development and refused in production (403), since the metrics
show traffic and failures that are nobody else's business.
"""

from __future__ import annotations

import asyncio
import hmac
from contextlib import suppress
from typing import Any

from litestar import Controller, MediaType, Request, get
from litestar.di import NamedDependency
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from redis.exceptions import RedisError
from saq import Queue

from domain.core import dead_letters, outbox
from domain.core.settings import Settings

QUEUE_DEPTH = Gauge("agora_queue_depth", "Jobs waiting in the SAQ queue")
OUTBOX_BACKLOG = Gauge("agora_outbox_backlog", "Jobs recorded in Postgres, not yet relayed")
DEAD_LETTERS = Gauge(
    "agora_dead_letters", "Outbox jobs that failed every attempt, kept to be run again"
)
PROBE_TIMEOUT_SECONDS = 0.5


async def refresh_backlogs(queue: Queue) -> None:
    """Best effort: a backend that is down leaves its gauge at its last value."""
    with suppress(RedisError, OSError, TimeoutError):
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            QUEUE_DEPTH.set(await queue.count("queued"))
    with suppress(OSError, TimeoutError):
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            OUTBOX_BACKLOG.set(await outbox.backlog())
            DEAD_LETTERS.set(await dead_letters.count())


def refusal(request: Request[Any, Any, Any], settings: Settings) -> Response[str] | None:
    """The response that refuses this scrape, or None when it may see the metrics."""
    if not settings.metrics_token:
        if settings.is_production:
            return Response(
                "/metrics is off: set METRICS_TOKEN and scrape with "
                "'Authorization: Bearer <token>'.\n",
                status_code=403,
                media_type=MediaType.TEXT,
            )
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.metrics_token.encode()
    ):
        return None
    return Response(
        "/metrics needs 'Authorization: Bearer <METRICS_TOKEN>'.\n",
        status_code=401,
        media_type=MediaType.TEXT,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


class MetricsController(Controller):
    path = "/metrics"

    @get("/")
    async def metrics(
        self,
        request: Request[Any, Any, Any],
        queue: NamedDependency[Queue],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        if refused := refusal(request, settings):
            return refused
        await refresh_backlogs(queue)
        return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
