"""Fixed-window rate limits kept in Redis, with a per-process fallback while Redis is away."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis
from redis.exceptions import RedisError


@dataclass
class RateLimiter:
    redis: Redis
    # Used only while Redis is unreachable, so limits still hold (per process) during an outage.
    _fallback: dict[str, int] = field(default_factory=dict)

    async def hit(self, name: str, limit: int, window_seconds: int) -> None:
        """Count one attempt; raise 429 with Retry-After when over `limit` in this window."""
        now = int(time.time())
        window = now // window_seconds
        key = f"ratelimit:{name}:{window}"
        count = await self._increment(key, window_seconds)
        if count > limit:
            retry_after = (window + 1) * window_seconds - now
            raise TooManyRequestsException(
                f"Too many attempts. Please wait {retry_after} seconds and try again.",
                headers={"Retry-After": str(retry_after)},
            )

    async def _increment(self, key: str, window_seconds: int) -> int:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, window_seconds + 1)
                count, _ = await pipe.execute()
            return int(count)
        except (RedisError, OSError):
            if len(self._fallback) > 10_000:
                self._fallback.clear()
            self._fallback[key] = self._fallback.get(key, 0) + 1
            return self._fallback[key]
