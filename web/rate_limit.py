"""Fixed-window rate limits kept in Redis, with a per-process fallback while Redis is away."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field

from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.core.settings import Settings

QUARTER_HOUR = 15 * 60
HOUR = 60 * 60


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


def address_key(host: str) -> str:
    """The client address a limit counts: IPv4 as is, IPv6 by its /64 (one subscriber's
    share, which an attacker rotates through for free); anything unparsable as given."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


async def count_login_attempt(
    limiter: RateLimiter, settings: Settings, username: str, client_host: str
) -> None:
    """Count one log-in attempt (web form or OAuth password grant) before the password is
    checked; TooManyRequestsException (429, Retry-After) over any of three limits.

    Per account and address is the tight one: it stops guessing from one place without
    touching the owner elsewhere. Per address stops one place trying many accounts. Per
    account, from anywhere, is a much higher ceiling: addresses rotated through cannot lock
    the owner out within minutes, yet a slow spray still ends.
    """
    account = username.strip().lower()
    address = address_key(client_host)
    await limiter.hit(
        f"login-pair:{account}:{address}",
        settings.login_attempts_per_account_and_address,
        QUARTER_HOUR,
    )
    await limiter.hit(f"login-address:{address}", settings.login_attempts_per_address, QUARTER_HOUR)
    await limiter.hit(f"login-account:{account}", settings.login_attempts_per_account, HOUR)
