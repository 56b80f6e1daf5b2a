"""`/api/v1/apps`: client registration and the app a token belongs to (Mastodon's
Application entity, https://docs.joinmastodon.org/methods/apps/)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK

from domain import oauth
from web.api import entities
from web.api.auth import needs, public_access, token_grant
from web.api.openapi import Field
from web.api.params import read_params

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
