"""Every setting Agora reads from the environment, in one place (12-factor).

Each has a development default so that a fresh checkout runs; production mode
(`AGORA_ENV=production`) refuses to start without a real `SECRET_KEY`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

DEVELOPMENT_SECRET_KEY = "dev-insecure-secret-key-change-me"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from error


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    redis_url: str
    secret_key: str
    port: int
    session_days: int
    login_attempts_per_minute: int
    signups_per_hour: int
    redis_timeout_seconds: float
    argon2_time_cost: int
    argon2_memory_kib: int
    # Authors with more followers than this are not fanned out; their posts merge in at read time.
    fanout_max_followers: int = 10_000
    # A home timeline unread for this long expires from Redis and is rebuilt on the next visit.
    timeline_idle_days: int = 14
    # After a Redis failure, skip Redis for this long before trying again (the circuit breaker).
    redis_retry_seconds: float = 5.0
    # How often the web process looks for outbox jobs it was not woken for (recorded by
    # another process, or left while Redis was down).
    outbox_sweep_seconds: float = 30.0
    # How long rendered post fragments stay cached (their keys change whenever their content does).
    fragment_ttl_seconds: int = 86_400
    # Serves /_bench/ceiling, the constant page bench/load.py compares every page with.
    bench_routes: bool = False
    # Uploaded images (post images, avatars) and their thumbnails live here, served at /media/.
    media_dir: str = ".data/media"
    # The largest image file accepted for upload, in bytes.
    max_upload_bytes: int = 5 * 1024 * 1024

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings() -> Settings:
    environment = os.environ.get("AGORA_ENV", "development")
    secret_key = os.environ.get("SECRET_KEY", "")
    if not secret_key:
        if environment == "production":
            raise SettingsError(
                "SECRET_KEY is not set. In production Agora needs a long random secret to sign "
                "CSRF tokens and API tokens: export SECRET_KEY=$(python3 -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        secret_key = DEVELOPMENT_SECRET_KEY
    return Settings(
        environment=environment,
        database_url=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/agora"),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        secret_key=secret_key,
        port=_int("PORT", 8000),
        session_days=_int("SESSION_DAYS", 30),
        login_attempts_per_minute=_int("LOGIN_ATTEMPTS_PER_MINUTE", 10),
        signups_per_hour=_int("SIGNUPS_PER_HOUR", 20),
        redis_timeout_seconds=float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.25")),
        # argon2-cffi's recommended profile (RFC 9106 low-memory); lowered only by the test suite.
        argon2_time_cost=_int("ARGON2_TIME_COST", 3),
        argon2_memory_kib=_int("ARGON2_MEMORY_KIB", 65536),
        fanout_max_followers=_int("FANOUT_MAX_FOLLOWERS", 10_000),
        timeline_idle_days=_int("TIMELINE_IDLE_DAYS", 14),
        redis_retry_seconds=float(os.environ.get("REDIS_RETRY_SECONDS", "5")),
        fragment_ttl_seconds=_int("FRAGMENT_TTL_SECONDS", 86_400),
        outbox_sweep_seconds=float(os.environ.get("OUTBOX_SWEEP_SECONDS", "30")),
        bench_routes=_bool("AGORA_BENCH_ROUTES", False),
        media_dir=os.environ.get("MEDIA_DIR", "") or ".data/media",
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
