"""Redis behind a circuit breaker: Redis speeds things up but is never needed for correctness.

Every call has a short deadline. When Redis refuses or drops the connection the breaker
opens at once and Redis is skipped entirely for a few seconds, so an outage costs one failed
call, not one per request; then a single call is let through to see whether Redis is back.
A missed deadline opens it only when several calls in a row miss theirs: a deadline also
counts the time a call waits for this busy event loop, and one late answer while the server
is saturated says nothing about Redis. Treating it as an outage would move every request
onto the slower PostgreSQL path exactly when the server has the least time to spare.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeVar

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from domain.core.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

# How many missed deadlines in a row open the breaker (a refused connection opens it at once).
TIMEOUTS_TO_OPEN = 3

REDIS_FAILURES = Counter("agora_redis_failures", "Redis calls that failed or timed out")
REDIS_SKIPPED = Counter("agora_redis_skipped", "Redis calls skipped while the breaker was open")


class GuardedRedis:
    """A Redis client whose calls fail fast and return None while Redis is unavailable."""

    def __init__(self, client: Redis, timeout_seconds: float, retry_seconds: float) -> None:
        self.client = client
        self.timeout_seconds = timeout_seconds
        self.retry_seconds = retry_seconds
        self._open_until = 0.0
        self._timeouts_in_a_row = 0

    @property
    def is_open(self) -> bool:
        """True while Redis is being skipped after a recent failure."""
        return time.monotonic() < self._open_until

    @property
    def seconds_until_retry(self) -> float:
        """How long Redis will still be skipped, in seconds (0.0 when the breaker is closed)."""
        return max(0.0, self._open_until - time.monotonic())

    async def wait_until_closed(self) -> None:
        """Sleep until the breaker lets calls through again (at once when it is closed), so
        that work which needs Redis, a background job, is not attempted and failed for
        nothing while Redis is being skipped."""
        await asyncio.sleep(self.seconds_until_retry)

    async def call(self, operation: Callable[[Redis], Awaitable[T]]) -> T | None:
        """The operation's result, or None if Redis is skipped, fails or is too slow."""
        if self.is_open:
            REDIS_SKIPPED.inc()
            return None
        try:
            async with asyncio.timeout(self.timeout_seconds):
                result = await operation(self.client)
        except (TimeoutError, RedisTimeoutError) as error:
            self._timeouts_in_a_row += 1
            if self._fail(error, opens=self._timeouts_in_a_row >= TIMEOUTS_TO_OPEN):
                await self._drop_connections()
            return None
        except (RedisError, OSError) as error:
            self._fail(error, opens=True)
            await self._drop_connections()
            return None
        self._timeouts_in_a_row = 0
        return result

    async def _drop_connections(self) -> None:
        """Close the pool's idle connections when the breaker opens, so that the one call let
        through once the period is over connects afresh rather than taking a connection left
        over from before the outage (those to a killed Redis look open until used). In the
        fault harness the web process's breaker opened twice per Redis restart, at the kill
        and again on the call let through 5 s later."""
        with suppress(RedisError, OSError):
            await self.client.connection_pool.disconnect(inuse_connections=False)

    def _fail(self, error: Exception, opens: bool) -> bool:
        """Count a failed call; open the breaker if `opens`, and say whether it did."""
        REDIS_FAILURES.inc()
        if not opens:
            logger.info("Redis call missed its deadline: %r", error)
            return False
        self._timeouts_in_a_row = 0
        self._open_until = time.monotonic() + self.retry_seconds
        logger.warning("Redis unavailable, skipping it for %ss: %r", self.retry_seconds, error)
        return True

    async def pipeline(self, build: Callable[[Any], None]) -> list[Any] | None:
        """Run the commands `build` queues on one pipeline (one round trip); None on failure."""

        async def run(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                build(pipe)
                result: list[Any] = await pipe.execute()
                return result

        return await self.call(run)


_active: GuardedRedis | None = None


def use(guard: GuardedRedis | None) -> None:
    """Make `guard` the Redis the domain's caches use (set by the web app and the worker)."""
    global _active
    _active = guard


def active() -> GuardedRedis | None:
    """The Redis the caches use, or None when there is none (they then read Postgres)."""
    return _active


def create_redis(settings: Settings) -> Redis:
    """The Redis client of a process (web or worker), set up to fail fast so that a dead
    Redis slows no request for long."""
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        retry_on_timeout=False,
        health_check_interval=30,
    )
