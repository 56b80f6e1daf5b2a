"""Application-wide objects handed to handlers by Litestar's dependency injection."""

from __future__ import annotations

from litestar.datastructures import State
from redis.asyncio import Redis
from saq import Queue

from domain.settings import Settings
from web.rate_limit import RateLimiter


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_redis(state: State) -> Redis:
    redis: Redis = state.redis
    return redis


def provide_queue(state: State) -> Queue:
    queue: Queue = state.queue
    return queue


def provide_rate_limiter(state: State) -> RateLimiter:
    limiter: RateLimiter = state.rate_limiter
    return limiter
