"""Client apps: registration (Mastodon's POST /api/v1/apps), their redirect URIs and
credentials. Client secrets are stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.core.errors import ValidationFailed
from domain.oauth.errors import OAuthError
from domain.oauth.scopes import expand, format_scopes, parse_scopes
from domain.oauth.tables import OAuthApp

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
FORBIDDEN_REDIRECT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about"})


def require_within(requested: frozenset[str], app: OAuthApp) -> None:
    """Raise OAuthError(invalid_scope) for scopes the app was not registered for."""
    registered = expand(parse_scopes(app.scopes))
    beyond = sorted(scope for scope in requested if scope not in registered)
    if beyond:
        raise OAuthError(
            "invalid_scope",
            f"The app was not registered for: {', '.join(beyond)}.",
        )


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def redirect_uri_problem(uri: str) -> str | None:
    if uri == OOB_REDIRECT_URI:
        return None
    if len(uri) > 2000:
        return "A redirect URI must be at most 2000 characters."
    if not uri.isascii() or any(ch.isspace() or ord(ch) < 32 for ch in uri):
        return "A redirect URI must be plain ASCII without spaces (percent-encode the rest)."
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme or scheme in FORBIDDEN_REDIRECT_SCHEMES:
        return f"{uri!r} is not an absolute URI an app can receive a code at."
    if scheme in ("http", "https") and not parts.netloc:
        return f"{uri!r} has no host."
    if parts.fragment or "#" in uri:
        return "A redirect URI must not contain a fragment."
    return None


@dataclass(frozen=True)
class RegisteredApp:
    app: OAuthApp
    client_secret: str  # shown once, at registration; only its digest is kept

    @property
    def redirect_uris(self) -> list[str]:
        return self.app.redirect_uris.split("\n")


async def register_app(
    name: str, redirect_uris: list[str], scopes: str | None, website: str | None
) -> RegisteredApp:
    """Register a client; raises ValidationFailed for a bad name, URI or scope."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["client_name"] = "Give the app a name."
    elif len(name) > 100:
        errors["client_name"] = "An app name must be at most 100 characters."
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if not uris:
        errors["redirect_uris"] = "Give at least one redirect URI (or urn:ietf:wg:oauth:2.0:oob)."
    for uri in uris:
        if problem := redirect_uri_problem(uri):
            errors["redirect_uris"] = problem
            break
    website = (website or "").strip() or None
    if website and (len(website) > 255 or urlsplit(website).scheme not in ("http", "https")):
        errors["website"] = "The website must be an http(s) URL of at most 255 characters."
    try:
        granted = parse_scopes(scopes)
    except OAuthError as error:
        errors["scopes"] = error.description
        granted = frozenset()
    if errors:
        raise ValidationFailed(errors)
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        name=name,
        website=website,
        redirect_uris="\n".join(uris),
        scopes=format_scopes(granted),
        client_id=secrets.token_urlsafe(32),
        client_secret_hash=secret_digest(secret),
    )
    await app.save()
    return RegisteredApp(app, secret)


async def find_app(client_id: str) -> OAuthApp | None:
    if not client_id or len(client_id) > 64:
        return None
    app: OAuthApp | None = await OAuthApp.objects().where(OAuthApp.client_id == client_id).first()
    return app


async def authenticate_client(client_id: str, client_secret: str) -> OAuthApp:
    """The app whose credentials these are; OAuthError `invalid_client` otherwise."""
    app = await find_app(client_id)
    # Compare digests in constant time, and spend the same effort for an unknown client.
    expected = app.client_secret_hash if app else secret_digest(secrets.token_urlsafe(32))
    if not hmac.compare_digest(expected, secret_digest(client_secret or "")) or app is None:
        raise OAuthError("invalid_client", "Client authentication failed.")
    return app
