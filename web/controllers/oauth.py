"""OAuth 2 endpoints: the consent page, the token endpoint, revocation, server metadata.

/oauth/authorize is a page for people: it uses the browser session (log in first), and its
form carries the CSRF token like every other form. /oauth/token and /oauth/revoke are for
programs, exempt from CSRF, and authenticate the client by its id and secret instead.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from domain import oauth
from domain.core.settings import Settings
from web.access_log import names_a_secret
from web.api import entities
from web.api.openapi import Field, operation_class
from web.api.params import Params, read_params
from web.api.serializers import base_url
from web.auth import current_user, login_url_for
from web.rate_limit import RateLimiter, login_limits

SCOPE_DESCRIPTIONS = {
    "read": "Read your account, posts, timelines, bookmarks, likes and follows",
    "write": "Post, reply, delete, like, bookmark, follow and edit your profile for you",
    "follow": "See and change whom you follow",
    "push": "Receive push notifications (Agora sends none yet)",
    "profile": "Read your basic profile only",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANT_TYPES = ("authorization_code", "password", "client_credentials")
CLIENT_FIELDS = (
    Field("client_id", "The app's client id (or use HTTP Basic)"),
    Field("client_secret", "The app's client secret (or use HTTP Basic)"),
)
TOKEN_DOC = operation_class(
    body=(
        Field("grant_type", "authorization_code, password or client_credentials", required=True),
        *CLIENT_FIELDS,
        Field("code", "authorization_code: the code from the consent page"),
        Field("redirect_uri", "authorization_code: the redirect URI the code was sent to"),
        Field("code_verifier", "authorization_code with PKCE: the verifier (S256)"),
        Field("username", "password: the account's username"),
        Field("password", "password: the account's password"),
        Field("scope", "Space-separated scopes, within the app's (default: read)"),
    ),
    errors=("400", "401", "429"),
)
REVOKE_DOC = operation_class(
    body=(*CLIENT_FIELDS, Field("token", "The access token to revoke", required=True)),
    errors=("400", "401"),
)
AUTHORIZE_FIELDS = (
    Field("client_id", "The app's client id", required=True),
    Field("redirect_uri", "One of the app's redirect URIs"),
    Field("response_type", "Must be `code`", required=True),
    Field("scope", "Space-separated scopes (default: read)"),
    Field("state", "Returned unchanged to the app"),
    Field("code_challenge", "PKCE: BASE64URL(SHA-256(code_verifier))"),
    Field("code_challenge_method", "PKCE: must be S256"),
)


def _scope_lines(scopes: frozenset[str]) -> list[str]:
    return [SCOPE_DESCRIPTIONS.get(scope, scope) for scope in oauth.format_scopes(scopes).split()]


def _with_query(uri: str, values: dict[str, str | None]) -> str:
    query = urlencode({name: value for name, value in values.items() if value is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def _error_page(message: str, status_code: int = HTTP_400_BAD_REQUEST) -> Template:
    return Template("oauth/error.html", context={"message": message}, status_code=status_code)


def _back_to_client(
    request: oauth.AuthorizationRequest, redirect_uri: str, values: dict[str, str | None]
) -> Template:
    """Send the browser back to the app.

    A page with a refresh and a link rather than a 303: the site's Content-Security-Policy
    has `form-action 'self'`, which browsers also apply to redirects that follow a form
    submission, so a redirect to the app's own URI would be blocked.
    """
    target = _with_query(redirect_uri, values)
    return Template(
        "oauth/redirect.html",
        context={"target": target, "app_name": request.app.name},
        headers={"Refresh": f"0; url={target}", **NO_STORE},
    )


async def _authorization(
    params: Params,
) -> tuple[oauth.OAuthApp, str, oauth.AuthorizationRequest | oauth.OAuthError]:
    """Check the client first (raises UnsafeAuthorizationRequest), then the rest."""
    app, redirect_uri = await oauth.check_client(
        params.text("client_id"), params.text("redirect_uri")
    )
    try:
        checked: oauth.AuthorizationRequest | oauth.OAuthError = oauth.check_authorization_request(
            app,
            redirect_uri,
            response_type=params.text("response_type"),
            scope=params.get("scope"),
            state=params.get("state"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method"),
        )
    except oauth.OAuthError as error:
        checked = error
    return app, redirect_uri, checked


async def _body_params(request: Request[Any, Any, Any]) -> Params:
    """The parameters of /oauth/token or /oauth/revoke. OAuthError `invalid_request` (400)
    when a credential is in the query string (RFC 6749 2.3.1, 3.2): URLs end up in logs,
    proxies and browser histories, so secrets belong in the body or the Authorization header.
    """
    misplaced = sorted({name for name in request.query_params if names_a_secret(name)})
    if misplaced:
        raise oauth.OAuthError(
            "invalid_request",
            f"Send {', '.join(misplaced)} in the request body (or client credentials in the "
            "Authorization header), never in the URL.",
        )
    return await read_params(request)


def _client_credentials(request: Request[Any, Any, Any], params: Params) -> tuple[str, str]:
    """client_id and client_secret from the body, or from HTTP Basic (RFC 6749 2.3.1)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise oauth.OAuthError("invalid_client", "Malformed Basic credentials.") from error
        return unquote(client_id), unquote(secret)
    return params.text("client_id"), params.text("client_secret")


class OAuthController(Controller):
    path = "/oauth"
    tags = ["oauth"]

    @get("/authorize", operation_class=operation_class(errors=("400",)))
    async def authorize_page(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The consent page: which app asks for what, with "Authorize" and "Deny" buttons.

        Takes `client_id`, `redirect_uri`, `response_type=code`, `scope`, `state`, and for
        PKCE `code_challenge` with `code_challenge_method=S256`. Logged-out visitors are
        sent to log in first and come back here.
        """
        params = await read_params(request)
        try:
            app, redirect_uri, checked = await _authorization(params)
        except oauth.UnsafeAuthorizationRequest as error:
            return _error_page(error.description)
        if isinstance(checked, oauth.OAuthError):
            if redirect_uri == oauth.OOB_REDIRECT_URI:
                return _error_page(checked.description)
            # A plain redirect is fine here: no form was submitted (see _back_to_client).
            values = {
                "error": checked.code,
                "error_description": checked.description,
                "state": params.get("state"),
            }
            return Redirect(_with_query(redirect_uri, values), status_code=302)
        user = current_user(request)
        if user is None:
            return Redirect(login_url_for(request), status_code=303)
        fields = {
            name: value
            for name in (
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
            )
            if (value := params.get(name)) is not None
        }
        return Template(
            "oauth/authorize.html",
            context={
                "app": app,
                "user": user,
                "scopes": _scope_lines(checked.scopes),
                "fields": fields,
                "out_of_band": redirect_uri == oauth.OOB_REDIRECT_URI,
            },
            headers=NO_STORE,
        )

    @post(
        "/authorize",
        status_code=HTTP_200_OK,
        operation_class=operation_class(
            body=(*AUTHORIZE_FIELDS, Field("decision", "`authorize` or `deny`", required=True)),
            errors=("400", "403"),
        ),
    )
    async def authorize(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The consent form's answer (`decision` = `authorize` or `deny`, plus the request's
        parameters): the app gets a code, or `access_denied`, at its redirect URI."""
        params = await read_params(request)
        try:
            app, redirect_uri, checked = await _authorization(params)
        except oauth.UnsafeAuthorizationRequest as error:
            return _error_page(error.description)
        if isinstance(checked, oauth.OAuthError):
            return _error_page(checked.description)
        user = current_user(request)
        if user is None:
            return Redirect(login_url_for(request), status_code=303)
        if params.get("decision") != "authorize":
            values = {
                "error": "access_denied",
                "error_description": "The user said no.",
                "state": checked.state,
            }
            if redirect_uri == oauth.OOB_REDIRECT_URI:
                return Template("oauth/denied.html", context={"app_name": app.name})
            return _back_to_client(checked, redirect_uri, values)
        code = await oauth.issue_code(user, checked)
        if redirect_uri == oauth.OOB_REDIRECT_URI:
            # Out of band: the person copies the code into the app (toot, Mastodon.py scripts).
            return Template(
                "oauth/code.html", context={"code": code, "app_name": app.name}, headers=NO_STORE
            )
        return _back_to_client(checked, redirect_uri, {"code": code, "state": checked.state})

    @post("/token", status_code=HTTP_200_OK, operation_class=TOKEN_DOC)
    async def token(
        self,
        request: Request[Any, Any, Any],
        rate_limiter: NamedDependency[RateLimiter],
        settings: NamedDependency[Settings],
    ) -> Response[entities.Token]:
        """Issue an access token (a JWT).

        `grant_type` is `authorization_code` (with `code`, `redirect_uri` and, for PKCE,
        `code_verifier`), `password` (with `username`, `password`) or `client_credentials`;
        every grant needs `client_id` and `client_secret` (in the body or HTTP Basic), and
        may narrow `scope` within the app's scopes.
        """
        params = await _body_params(request)
        grant_type = params.text("grant_type")
        if grant_type not in GRANT_TYPES:
            raise oauth.OAuthError(
                "unsupported_grant_type", f"Supported: {', '.join(GRANT_TYPES)}."
            )
        client_id, client_secret = _client_credentials(request, params)
        app = await oauth.authenticate_client(client_id, client_secret)
        if grant_type == "authorization_code":
            issued = await oauth.exchange_code(
                app, params.text("code"), params.text("redirect_uri"), params.get("code_verifier")
            )
        elif grant_type == "password":
            # The same limits as the log-in form: guessing passwords here is no cheaper.
            limits = login_limits(
                settings,
                params.text("username"),
                request.client.host if request.client else "unknown",
            )
            await rate_limiter.refuse_if_reached(limits)
            try:
                issued = await oauth.password_grant(
                    app, params.text("username"), params.text("password"), params.get("scope")
                )
            except oauth.OAuthError:
                await rate_limiter.count(limits)
                raise
        else:
            issued = await oauth.client_credentials_grant(app, params.get("scope"))
        token = entities.Token(
            access_token=issued.access_token,
            token_type="Bearer",
            scope=oauth.format_scopes(issued.scopes),
            created_at=int(issued.created_at.timestamp()),
            expires_in=issued.expires_in,
        )
        return Response(token, headers=NO_STORE)

    @post("/revoke", status_code=HTTP_200_OK, operation_class=REVOKE_DOC)
    async def revoke(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Revoke one of the client's tokens (`token`, `client_id`, `client_secret`); it is
        refused from the next request on. Unknown tokens are ignored (RFC 7009)."""
        params = await _body_params(request)
        client_id, client_secret = _client_credentials(request, params)
        app = await oauth.authenticate_client(client_id, client_secret)
        await oauth.revoke_token(app, params.text("token"))
        return {}


class AuthorizedAppsController(Controller):
    """The person's own list of apps that can act for them, each with a "Revoke" button."""

    path = "/oauth/authorized_applications"
    tags = ["oauth"]
    include_in_schema = False  # pages for people, not part of the API

    @get("/")
    async def list_apps(self, request: Request[Any, Any, Any]) -> Response[Any]:
        user = current_user(request)
        if user is None:
            return Redirect(login_url_for(request), status_code=303)
        apps = await oauth.authorized_apps(user.id)
        listed = [(app, _scope_lines(app.scopes)) for app in apps]
        return Template("oauth/authorized_applications.html", context={"apps": listed})

    @post("/{app_id:int}/revoke", status_code=303)
    async def revoke_app(
        self, request: Request[Any, Any, Any], app_id: FromPath[int]
    ) -> Response[Any]:
        user = current_user(request)
        if user is None:
            return Redirect(login_url_for(request), status_code=303)
        await oauth.revoke_app_access(user.id, app_id)
        return Redirect("/oauth/authorized_applications", status_code=303)


MISSING_IMAGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
    '<rect width="64" height="64" fill="#d9dde3"/><circle cx="32" cy="25" r="12" fill="#9aa3ae"/>'
    '<path d="M10 60c2-13 11-20 22-20s20 7 22 20z" fill="#9aa3ae"/></svg>'
)


class DiscoveryController(Controller):
    """What clients fetch before anything else."""

    tags = ["oauth"]

    @get("/.well-known/oauth-authorization-server")
    async def authorization_server(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """OAuth 2 server metadata (RFC 8414), which Mastodon.py reads to find the endpoints."""
        base = base_url(request)
        return {
            "issuer": base,
            "service_documentation": f"{base}/schema",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": sorted(oauth.KNOWN_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    @get(
        ["/avatars/original/missing.svg", "/headers/original/missing.svg"],
        media_type="image/svg+xml",
    )
    async def missing_image(self) -> Response[str]:
        """The picture of an account without an avatar (Mastodon's entities need a URL)."""
        return Response(
            MISSING_IMAGE,
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )
