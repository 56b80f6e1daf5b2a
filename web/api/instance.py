"""`/api/v1/instance`, `/api/v2/instance`, `/api/v1/instance/...` and `/api/v1/custom_emojis`:
the instance description clients read first (Mastodon's Instance entity) and its details."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from domain import accounts, media, posts
from domain.core.settings import get_settings
from web.api import entities
from web.api.auth import public_access
from web.api.serializers import (
    INSTANCE_DESCRIPTION,
    INSTANCE_TITLE,
    MASTODON_API_VERSION,
    base_url,
    compatible_version,
)


def _limits() -> dict[str, Any]:
    return {
        "statuses": {
            "max_characters": min(posts.MAX_POST_LENGTH, posts.MAX_COMMENT_LENGTH),
            "max_media_attachments": posts.MAX_IMAGES_PER_POST,
            "characters_reserved_per_url": posts.URL_LENGTH,
        },
        "media_attachments": {
            "supported_mime_types": sorted(media.MIME_TYPES.values()),
            "description_limit": media.MAX_ALT_LENGTH,
            "image_size_limit": get_settings().max_upload_bytes,
            "image_matrix_limit": media.MAX_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
    }


class InstanceController(Controller):
    path = "/"
    tags = ["instance"]

    @get("/v1/instance", **public_access())
    async def instance_v1(self, request: Request[Any, Any, Any]) -> entities.InstanceV1:
        """The server, Mastodon v1 shape (toot reads it to log in)."""
        users, posts = await accounts.instance_counts()
        return entities.InstanceV1(
            uri=request.app.state.settings.public_domain,
            title=INSTANCE_TITLE,
            short_description=INSTANCE_DESCRIPTION,
            description=INSTANCE_DESCRIPTION,
            email="",
            version=compatible_version(),
            urls={"streaming_api": request.app.state.settings.streaming_url},
            stats={"user_count": users, "status_count": posts, "domain_count": 0},
            thumbnail=None,
            languages=["en"],
            registrations=True,
            approval_required=False,
            invites_enabled=False,
            configuration=_limits(),
            contact_account=None,
            rules=[],
        )

    @get("/v2/instance", **public_access())
    async def instance_v2(self, request: Request[Any, Any, Any]) -> entities.InstanceV2:
        """The server, Mastodon v2 shape: the version string starts `4.3.0 (compatible;`
        so that clients turn on the features Agora has."""
        usage = await accounts.usage()
        base = base_url(request)
        return entities.InstanceV2(
            domain=request.app.state.settings.public_domain,
            title=INSTANCE_TITLE,
            version=compatible_version(),
            source_url=base,
            description=INSTANCE_DESCRIPTION,
            usage={"users": {"active_month": usage.active_month}},
            thumbnail={"url": f"{base}/avatars/original/missing.svg"},
            icon=[],
            languages=["en"],
            configuration={
                "urls": {"streaming": request.app.state.settings.streaming_url},
                "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
                "translation": {"enabled": False},
                **_limits(),
            },
            registrations={"enabled": True, "approval_required": False, "message": None},
            api_versions={"mastodon": MASTODON_API_VERSION},
            contact={"email": "", "account": None},
            rules=[],
        )

    @get("/v1/custom_emojis", **public_access())
    async def custom_emojis(self) -> list[dict[str, Any]]:
        """Agora has no custom emojis."""
        return []

    @get("/v1/instance/rules", **public_access())
    async def rules(self) -> list[dict[str, Any]]:
        """The server's rules: Agora has no list of rules yet."""
        return []

    @get("/v1/instance/peers", **public_access())
    async def peers(self) -> list[str]:
        """Domains this server has seen: none, Agora does not federate."""
        return []

    @get("/v1/instance/domain_blocks", **public_access())
    async def domain_blocks(self) -> list[dict[str, Any]]:
        """Domains this server blocks: none, Agora does not federate."""
        return []

    @get("/v1/instance/translation_languages", **public_access())
    async def translation_languages(self) -> dict[str, list[str]]:
        """Languages statuses can be translated between: none, Agora does not translate."""
        return {}
