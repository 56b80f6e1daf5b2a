"""Client registration and the instance description clients read first."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK

from domain import api_queries, media, oauth
from domain.comments import MAX_COMMENT_LENGTH
from domain.media_uploads import MAX_IMAGES_PER_POST
from domain.posts import MAX_POST_LENGTH
from domain.settings import get_settings
from web.api import entities
from web.api.auth import needs, public_access, token_grant
from web.api.openapi import Field
from web.api.params import read_params
from web.api.serializers import MASTODON_API_VERSION, base_url, compatible_version

TITLE = "Agora"
DESCRIPTION = "A social network that works in any web browser."
# Any valid token may ask which app it belongs to, whatever its scopes.
ANY_TOKEN = needs(*sorted(oauth.KNOWN_SCOPES), user=False)
APP_FIELDS = (
    Field("client_name", "The app's name, shown on the consent page", required=True),
    Field(
        "redirect_uris",
        "Where codes go: URIs one a line, or urn:ietf:wg:oauth:2.0:oob",
        required=True,
    ),
    Field("scopes", "Space-separated scopes the app may ask for (default: read)"),
    Field("website", "The app's home page"),
)


def _application(app: oauth.OAuthApp, secret: str | None = None) -> entities.Application:
    uris = app.redirect_uris.split("\n")
    return entities.Application(
        id=str(app.id),
        name=app.name,
        website=app.website,
        scopes=app.scopes.split(),
        redirect_uri="\n".join(uris),
        redirect_uris=uris,
        client_id=app.client_id if secret else None,
        client_secret=secret,
        client_secret_expires_at=0 if secret else None,
    )


class AppsController(Controller):
    path = "/v1/apps"
    tags = ["apps"]

    @post("/", status_code=HTTP_200_OK, **public_access(body=APP_FIELDS))
    async def create_app(self, request: Request[Any, Any, Any]) -> entities.Application:
        """Register a client: `client_name`, `redirect_uris` (one a line, or an array),
        `scopes` (space-separated, default `read`), `website`. The answer holds the
        `client_id` and `client_secret`; the secret is shown only this once."""
        params = await read_params(request)
        uris = [line for value in params.get_list("redirect_uris") for line in value.split("\n")]
        registered = await oauth.register_app(
            name=params.text("client_name"),
            redirect_uris=uris,
            scopes=params.get("scopes"),
            website=params.get("website"),
        )
        return _application(registered.app, registered.client_secret)

    @get("/verify_credentials", **ANY_TOKEN)
    async def verify_app(self, request: Request[Any, Any, Any]) -> entities.Application:
        """The app the access token was issued to."""
        grant = token_grant(request)
        assert grant is not None  # guaranteed by ANY_TOKEN
        app = await oauth.app_for(grant.app_id)
        assert app is not None  # tokens are deleted with their app
        return _application(app)


def _limits() -> dict[str, Any]:
    return {
        "statuses": {
            "max_characters": min(MAX_POST_LENGTH, MAX_COMMENT_LENGTH),
            "max_media_attachments": MAX_IMAGES_PER_POST,
            "characters_reserved_per_url": 0,
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
        users, posts = await api_queries.instance_counts()
        return entities.InstanceV1(
            uri=request.url.netloc,
            title=TITLE,
            short_description=DESCRIPTION,
            description=DESCRIPTION,
            email="",
            version=compatible_version(),
            urls={"streaming_api": ""},
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
        users, _ = await api_queries.instance_counts()
        base = base_url(request)
        return entities.InstanceV2(
            domain=request.url.netloc,
            title=TITLE,
            version=compatible_version(),
            source_url=base,
            description=DESCRIPTION,
            usage={"users": {"active_month": users}},
            thumbnail={"url": f"{base}/avatars/original/missing.svg"},
            icon=[],
            languages=["en"],
            configuration={
                "urls": {"streaming": ""},
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
