"""GET /metrics: Prometheus text, with the queue's and the outbox's backlogs read at scrape time."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from redis.exceptions import RedisError
from saq import Queue

from domain.core import outbox

QUEUE_DEPTH = Gauge("agora_queue_depth", "Jobs waiting in the SAQ queue")
OUTBOX_BACKLOG = Gauge("agora_outbox_backlog", "Jobs recorded in Postgres, not yet relayed")
PROBE_TIMEOUT_SECONDS = 0.5


async def refresh_backlogs(queue: Queue) -> None:
    """Best effort: a backend that is down leaves its gauge at its last value."""
    with suppress(RedisError, OSError, TimeoutError):
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            QUEUE_DEPTH.set(await queue.count("queued"))
    with suppress(OSError, TimeoutError):
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            OUTBOX_BACKLOG.set(await outbox.backlog())


class MetricsController(Controller):
    path = "/metrics"

    @get("/")
    async def metrics(self, queue: NamedDependency[Queue]) -> Response[bytes]:
        await refresh_backlogs(queue)
        return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
