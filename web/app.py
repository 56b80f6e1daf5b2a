"""The Litestar app factory: `uvicorn --factory web.app:create_app`."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.prometheus import PrometheusConfig
from redis.exceptions import RedisError

from domain.core import database, outbox, redis_guard
from domain.core.redis_guard import GuardedRedis, create_redis
from domain.core.settings import Settings, get_settings
from tasks.outbox_relay import relay_when_recorded
from tasks.queue import create_queue
from web.access_log import redact_access_log
from web.allowed_hosts import AllowedHostsMiddleware
from web.api import api_router
from web.api.errors import API_EXCEPTION_HANDLERS
from web.api.openapi import openapi_config
from web.api.serializers import agora_version
from web.auth import SessionBoundCSRFMiddleware, csrf_config, session_authentication
from web.compression import compression_config
from web.controllers.accounts import AccountController
from web.controllers.admin import AdminJobsController, AdminUsersController
from web.controllers.app_files import AppFilesController
from web.controllers.bench import BenchController
from web.controllers.discovery import WellKnownController
from web.controllers.feeds import FeedController
from web.controllers.follow_requests import FollowRequestController
from web.controllers.health import HealthController
from web.controllers.messages import MessagesController
from web.controllers.metrics import MetricsController
from web.controllers.notifications import (
    NotificationController,
)
from web.controllers.oauth import AuthorizedAppsController, DiscoveryController, OAuthController
from web.controllers.posts import PostController
from web.controllers.profiles import ProfileController
from web.controllers.search import SearchController
from web.controllers.settings import SettingsController
from web.controllers.styleguide import StyleguideController
from web.cors import allow_api_from_any_origin
from web.dependencies import shared_dependencies
from web.errors import EXCEPTION_HANDLERS
from web.flash import forget_shown_flash
from web.htmx import cache_headers
from web.media_files import max_request_bytes, media_files_router
from web.nav import count_for_nav
from web.rate_limit import RateLimiter
from web.security_headers import add_security_headers
from web.static_assets import static_files_router
from web.streaming.hub import Hub
from web.streaming.mastodon import StreamingController
from web.streaming.pages import LiveController
from web.templating import template_config
from web.text_guard import text_guard

prometheus = PrometheusConfig(
    app_name="agora", prefix="agora", group_path=True, exclude=["^/static/", "^/media/"]
)


def _lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # min_size=0: the app starts (and later recovers) even while Postgres is down.
        await database.open_pool(min_size=0, max_size=20)
        redis = create_redis(settings)
        queue = create_queue(settings)
        hub = Hub(settings.redis_url)
        app.state.update(redis=redis, queue=queue, rate_limiter=RateLimiter(redis), hub=hub)
        redis_guard.use(
            GuardedRedis(redis, settings.redis_timeout_seconds, settings.redis_retry_seconds)
        )
        stop_relay = asyncio.Event()
        relay = asyncio.create_task(
            relay_when_recorded(queue, stop_relay, settings.outbox_sweep_seconds)
        )
        # What start-up made lives as long as the process: spare the collector walking it again
        # in every full collection (pauses that showed up in the bench's p99, bench/README.md).
        gc.collect()
        gc.freeze()
        hub.start()
        try:
            yield
        finally:
            gc.unfreeze()
            await hub.stop()
            stop_relay.set()
            outbox.pending_work.set()  # wake the relay so it sees the stop
            await relay
            redis_guard.use(None)
            # Shutting down must not fail because Redis is already gone.
            with suppress(RedisError, OSError):
                await queue.disconnect()
                await redis.aclose()
            await database.close_pool()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO)
    # The outbox relay enqueues a job for every like, post and follow; SAQ's line per enqueued
    # job would be most of the web process's log. The worker still logs each job it runs.
    logging.getLogger("saq").setLevel(logging.WARNING)
    redact_access_log()
    return Litestar(
        route_handlers=[
            # The pages: HTML for people, so not in the API's OpenAPI document.
            Router(
                path="/",
                route_handlers=[
                    FeedController,
                    PostController,
                    NotificationController,
                    FollowRequestController,
                    MessagesController,
                    ProfileController,
                    AccountController,
                    SettingsController,
                    AdminUsersController,
                    AdminJobsController,
                    SearchController,
                    HealthController,
                    MetricsController,
                    AppFilesController,
                    # The design system's page, for people working on Agora only.
                    *([] if settings.is_production else [StyleguideController]),
                    LiveController,
                ],
                include_in_schema=False,
            ),
            static_files_router(),
            media_files_router(settings),
            # Only for bench/load.py's ceiling; off unless AGORA_BENCH_ROUTES is set.
            *([BenchController] if settings.bench_routes else []),
            api_router(),
            # OAuth answers errors as JSON, as the API does (RFC 6749 section 5.2), and so do
            # the documents programs discover the server and its accounts by.
            Router(
                path="/",
                route_handlers=[
                    OAuthController,
                    AuthorizedAppsController,
                    DiscoveryController,
                    WellKnownController,
                    StreamingController,
                ],
                exception_handlers=API_EXCEPTION_HANDLERS,
            ),
        ],
        state=State({"settings": settings}),
        lifespan=[_lifespan(settings)],
        dependencies=shared_dependencies(),
        middleware=[
            AllowedHostsMiddleware(settings),
            prometheus.middleware,
            text_guard,
            session_authentication,
            # Innermost, where Litestar puts its own CSRF check.
            SessionBoundCSRFMiddleware(csrf_config(settings), settings),
        ],
        before_request=count_for_nav,
        before_send=[
            add_security_headers,
            cache_headers,
            allow_api_from_any_origin,
            forget_shown_flash,
        ],
        template_config=template_config(),
        compression_config=compression_config(),
        plugins=[HTMXPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(agora_version()),
        request_max_body_size=max_request_bytes(settings),
        debug=False,
    )
