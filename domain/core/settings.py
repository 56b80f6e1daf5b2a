"""Every setting Agora reads from the environment, in one place (12-factor).

Each has a development default so that a fresh checkout runs; production mode
(`AGORA_ENV=production`) refuses to start without a real `SECRET_KEY`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

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


def _public_url(environment: str, port: int) -> str:
    """PUBLIC_URL, or https://LOCAL_DOMAIN, normalised to `scheme://host[:port]` (no slash)."""
    raw = os.environ.get("PUBLIC_URL", "").strip()
    if not raw and (domain := os.environ.get("LOCAL_DOMAIN", "").strip()):
        raw = f"https://{domain}"
    if not raw:
        if environment == "production":
            raise SettingsError(
                "PUBLIC_URL is not set. In production Agora writes every absolute URL (API "
                "entities, OAuth metadata, Link headers) from it and answers only its host: "
                "export PUBLIC_URL=https://social.example (or LOCAL_DOMAIN=social.example)"
            )
        raw = f"http://127.0.0.1:{port}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"PUBLIC_URL must be an http(s) URL with a host, got {raw!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise SettingsError(f"PUBLIC_URL must be scheme://host[:port] only, got {raw!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _hosts(name: str, default: str) -> tuple[str, ...]:
    raw = os.environ.get(name)
    names = default if raw is None else raw
    return tuple(host.strip().lower() for host in names.split(",") if host.strip())


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    redis_url: str
    secret_key: str
    port: int
    session_days: int
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
    # How often an open live stream (pages' SSE, the streaming API) sends a heartbeat and
    # checks that its session or token still holds.
    stream_heartbeat_seconds: float = 15.0
    # How long rendered post fragments stay cached (their keys change whenever their content does).
    fragment_ttl_seconds: int = 86_400
    # Serves /_bench/ceiling, the constant page bench/load.py compares every page with.
    bench_routes: bool = False
    # Uploaded images (post images, avatars) and their thumbnails live here, served at /media/.
    media_dir: str = ".data/media"
    # The largest image file accepted for upload, in bytes.
    max_upload_bytes: int = 5 * 1024 * 1024
    # When set, /metrics answers only requests with `Authorization: Bearer <token>`; when
    # empty it is open in development and refused in production.
    metrics_token: str = ""
    # The site's address as people reach it, `scheme://host[:port]`: every absolute URL is
    # written from it, never from the request's Host header.
    public_url: str = "http://127.0.0.1:8000"
    # Host names (no ports) answered besides the public URL's; any other Host gets a 400.
    allowed_hosts: tuple[str, ...] = ()
    # Log-in attempts (web form and OAuth password grant): per account and address in 15
    # minutes, per address across accounts in 15 minutes, per account from anywhere in an hour.
    login_attempts_per_account_and_address: int = 10
    login_attempts_per_address: int = 50
    login_attempts_per_account: int = 100

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def streaming_url(self) -> str:
        """Where clients open the streaming API: the public URL as `wss://` (or `ws://` when
        served over plain http), never derived from a request's Host header."""
        scheme, _, rest = self.public_url.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"

    @property
    def is_https(self) -> bool:
        """Served over https: cookies are Secure and `__Host-` prefixed."""
        return self.public_url.startswith("https://")

    @property
    def public_host(self) -> str:
        """The public URL's host name, without the port."""
        return urlsplit(self.public_url).hostname or ""

    @property
    def public_domain(self) -> str:
        """The public URL's host and port, as Mastodon's instance `uri`/`domain` and the
        domain part of an `acct` name them."""
        return urlsplit(self.public_url).netloc


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
    port = _int("PORT", 8000)
    return Settings(
        environment=environment,
        database_url=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/agora"),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        secret_key=secret_key,
        port=port,
        session_days=_int("SESSION_DAYS", 30),
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
        stream_heartbeat_seconds=float(os.environ.get("STREAM_HEARTBEAT_SECONDS", "15")),
        bench_routes=_bool("AGORA_BENCH_ROUTES", False),
        media_dir=os.environ.get("MEDIA_DIR", "") or ".data/media",
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        metrics_token=os.environ.get("METRICS_TOKEN", "").strip(),
        public_url=_public_url(environment, port),
        # In development the machine's own names work too, whatever PUBLIC_URL says.
        allowed_hosts=_hosts(
            "ALLOWED_HOSTS", "" if environment == "production" else "localhost,127.0.0.1,::1"
        ),
        login_attempts_per_account_and_address=_int("LOGIN_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS", 10),
        login_attempts_per_address=_int("LOGIN_ATTEMPTS_PER_ADDRESS", 50),
        login_attempts_per_account=_int("LOGIN_ATTEMPTS_PER_ACCOUNT", 100),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
