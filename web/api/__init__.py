"""The Mastodon-compatible JSON API (/api/v1, /api/v2) and its OAuth 2 server (/oauth)."""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from web.api.absent import AbsentFeaturesController
from web.api.accounts import AccountsController, BlocksController
from web.api.auth import api_guard, quota_headers_middleware
from web.api.errors import API_EXCEPTION_HANDLERS
from web.api.instance import AppsController, InstanceController
from web.api.media import MediaController
from web.api.notifications import NotificationsController
from web.api.oauth import AuthorizedAppsController, DiscoveryController, OAuthController
from web.api.paging import PAGING_DEPENDENCIES
from web.api.search import SearchController
from web.api.statuses import StatusesController
from web.api.timelines import TimelinesController


def api_route_handlers() -> list[ControllerRouterHandler]:
    """Everything the API adds to the app, for `web.app.create_app`."""
    api = Router(
        path="/api",
        route_handlers=[
            AppsController,
            InstanceController,
            AccountsController,
            BlocksController,
            StatusesController,
            MediaController,
            TimelinesController,
            SearchController,
            NotificationsController,
            AbsentFeaturesController,
        ],
        guards=[api_guard],
        middleware=[quota_headers_middleware],
        exception_handlers=API_EXCEPTION_HANDLERS,
        dependencies=PAGING_DEPENDENCIES,
    )
    oauth = Router(
        path="/",
        route_handlers=[OAuthController, AuthorizedAppsController, DiscoveryController],
        exception_handlers=API_EXCEPTION_HANDLERS,
    )
    return [api, oauth]
