"""The Mastodon-compatible JSON API (/api/v1, /api/v2): one controller module per Mastodon
resource; its OAuth 2 server (/oauth) is web/controllers/oauth.py."""

from __future__ import annotations

from litestar import Router

from web.api.absent import AbsentFeaturesController
from web.api.accounts import AccountsController
from web.api.apps import AppsController
from web.api.auth import api_guard, quota_headers_middleware
from web.api.blocks import BlocksController
from web.api.bookmarks import BookmarksController
from web.api.conversations import ConversationsController
from web.api.errors import API_EXCEPTION_HANDLERS
from web.api.favourites import FavouritesController
from web.api.follow_requests import FollowRequestsController
from web.api.instance import InstanceController
from web.api.media import MediaController
from web.api.notifications import GroupedNotificationsController, NotificationsController
from web.api.paging import PAGING_DEPENDENCIES
from web.api.search import SearchController
from web.api.statuses import StatusesController
from web.api.timelines import TimelinesController


def api_router() -> Router:
    """The API under /api, with its guard (tokens, scopes, quotas) and JSON errors."""
    return Router(
        path="/api",
        route_handlers=[
            AppsController,
            InstanceController,
            AccountsController,
            BlocksController,
            FollowRequestsController,
            StatusesController,
            MediaController,
            TimelinesController,
            BookmarksController,
            FavouritesController,
            SearchController,
            NotificationsController,
            ConversationsController,
            GroupedNotificationsController,
            AbsentFeaturesController,
        ],
        guards=[api_guard],
        middleware=[quota_headers_middleware],
        exception_handlers=API_EXCEPTION_HANDLERS,
        dependencies=PAGING_DEPENDENCIES,
    )
