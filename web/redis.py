"""The Redis client, set up to fail fast so a dead Redis slows no request for long."""

from __future__ import annotations

from redis.asyncio import Redis

from domain.settings import Settings


def create_redis(settings: Settings) -> Redis:
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        retry_on_timeout=False,
        health_check_interval=30,
    )
