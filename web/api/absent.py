"""Endpoints for features Agora does not have, answered truthfully and in Mastodon's shape.

Mobile apps ask for these when they start (preferences, lists, filters, markers); a 404
makes some of them give up, while an empty answer is simply true: Agora has no lists and no
filters. (Notifications are real: web/api/notifications.py.)
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from web.api.auth import me, needs


class AbsentFeaturesController(Controller):
    path = "/v1"
    tags = ["instance"]

    @get("/preferences", **needs("read:accounts"))
    async def preferences(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Posting and reading defaults: the caller's default visibility (`source[privacy]`);
        posts are unmarked and their language unsaid unless the author says."""
        return {
            "posting:default:visibility": me(request).default_visibility,
            "posting:default:sensitive": False,
            "posting:default:language": None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }

    @get("/lists", **needs("read:lists"))
    async def lists(self) -> list[dict[str, Any]]:
        """Agora has no lists."""
        return []

    @get("/filters", **needs("read:filters"))
    async def filters(self) -> list[dict[str, Any]]:
        """Agora has no filters."""
        return []

    @get("/markers", **needs("read:statuses"))
    async def markers(self) -> dict[str, Any]:
        """Agora keeps no reading positions."""
        return {}
