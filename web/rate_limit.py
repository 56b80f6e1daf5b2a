"""Fixed-window rate limits kept in Redis, with a per-process fallback while Redis is away."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.core.settings import Settings

QUARTER_HOUR = 15 * 60
HOUR = 60 * 60


@dataclass(frozen=True)
class Limit:
    """At most `limit` counted events named `name` in each fixed window of `window_seconds`."""

    name: str
    limit: int
    window_seconds: int

    def key(self, now: int) -> str:
        return f"ratelimit:{self.name}:{now // self.window_seconds}"

    def refusal(self, now: int) -> TooManyRequestsException:
        """The 429 to answer until the window ends, with Retry-After in seconds."""
        retry_after = (now // self.window_seconds + 1) * self.window_seconds - now
        return TooManyRequestsException(
            f"Too many attempts. Please wait {retry_after} seconds and try again.",
            headers={"Retry-After": str(retry_after)},
        )


@dataclass
class RateLimiter:
    redis: Redis
    # Used only while Redis is unreachable, so limits still hold (per process) during an outage.
    _fallback: dict[str, int] = field(default_factory=dict)

    async def hit(self, name: str, limit: int, window_seconds: int) -> None:
        """Count one attempt; raise 429 with Retry-After when over `limit` in this window."""
        rule, now = Limit(name, limit, window_seconds), int(time.time())
        if await self._increment(rule.key(now), window_seconds) > limit:
            raise rule.refusal(now)

    async def refuse_if_reached(self, limits: Sequence[Limit]) -> None:
        """Raise TooManyRequestsException (429, Retry-After) if any limit has counted its
        number of events in this window; count nothing."""
        now = int(time.time())
        for rule in limits:
            if await self._read(rule.key(now)) >= rule.limit:
                raise rule.refusal(now)

    async def count(self, limits: Sequence[Limit]) -> None:
        """Count one event against each limit."""
        now = int(time.time())
        for rule in limits:
            await self._increment(rule.key(now), rule.window_seconds)

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

    async def _read(self, key: str) -> int:
        try:
            return int(await self.redis.get(key) or 0)
        except (RedisError, OSError):
            return self._fallback.get(key, 0)


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


def login_limits(settings: Settings, username: str, client_host: str) -> tuple[Limit, ...]:
    """The three limits on failed log-ins (web form or OAuth password grant), which a caller
    checks before the password (`RateLimiter.refuse_if_reached`) and counts a failure
    against (`RateLimiter.count`): a log-in that succeeds counts nothing, so the owner signing
    in on each device is never throttled.

    Per account and address is the tight one: it stops guessing from one place without
    touching the owner elsewhere. Per address stops one place trying many accounts. Per
    account, from anywhere, is a much higher ceiling: addresses rotated through cannot lock
    the owner out within minutes, yet a slow spray still ends.
    """
    account = username.strip().lower()
    address = address_key(client_host)
    return (
        Limit(
            f"login-pair:{account}:{address}",
            settings.login_attempts_per_account_and_address,
            QUARTER_HOUR,
        ),
        Limit(f"login-address:{address}", settings.login_attempts_per_address, QUARTER_HOUR),
        Limit(f"login-account:{account}", settings.login_attempts_per_account, HOUR),
    )
