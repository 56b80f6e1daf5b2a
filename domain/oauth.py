"""OAuth 2 for the Mastodon-compatible API: client apps, grants, JWT access tokens, revocation.

Access tokens are JWTs signed with a key derived from SECRET_KEY (HS256) carrying the issuer,
the subject (the user id, or the client id for an app-only token), the scopes, the expiry and
a token id (`jti`). The signature lets a forged or expired token be refused without touching
the database; the `jti` must also name a live row of `oauth_access_token`, so that revoking a
token takes effect at once even though it is still correctly signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt

from domain import accounts
from domain.api_tables import AccessToken, AuthorizationCode, OAuthApp
from domain.errors import DomainError, ValidationFailed
from domain.settings import get_settings
from domain.tables import User

ISSUER = "agora"
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
JWT_ALGORITHM = "HS256"

READ_SCOPES = (
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
)
WRITE_SCOPES = (
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
)
# What each umbrella scope grants besides itself (Mastodon's legacy `follow` included).
SCOPE_GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset(READ_SCOPES),
    "write": frozenset(WRITE_SCOPES),
    "follow": frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks",
                         "read:mutes", "write:mutes"}),
}  # fmt: skip
# `push` is accepted (Mastodon.py asks for it by default) although Agora has no Web Push.
KNOWN_SCOPES = frozenset({"read", "write", "follow", "push", "profile", *READ_SCOPES,
                          *WRITE_SCOPES})  # fmt: skip
DEFAULT_SCOPE = "read"
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43,128}")
FORBIDDEN_REDIRECT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about"})


class OAuthError(DomainError):
    """An OAuth failure with its RFC 6749 error code (`invalid_grant`, `invalid_client`, ...)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class InvalidToken(DomainError):
    """The bearer token is malformed, forged, expired or revoked."""


# ---------------------------------------------------------------- scopes


def parse_scopes(text: str | None) -> frozenset[str]:
    """The scopes in a space-separated list (Mastodon also accepts `+` and commas)."""
    words = [word for word in re.split(r"[\s+,]+", text or "") if word]
    if not words:
        return frozenset({DEFAULT_SCOPE})
    unknown = [word for word in words if word not in KNOWN_SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope: {', '.join(unknown)}.")
    return frozenset(words)


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes together with everything their umbrella scopes grant."""
    expanded = set(scopes)
    for scope in list(expanded):
        expanded |= SCOPE_GRANTS.get(scope, frozenset())
    return frozenset(expanded)


def allows(granted: Iterable[str], needed: Iterable[str]) -> bool:
    """Whether the granted scopes cover any one of the `needed` alternatives."""
    have = expand(granted)
    return any(scope in have for scope in needed)


def format_scopes(scopes: Iterable[str]) -> str:
    # A stable order, umbrella scopes first, so the same set always reads the same.
    order = ["read", "write", "follow", "push", "profile"]
    return " ".join(sorted(scopes, key=lambda s: (order.index(s) if s in order else 9, s)))


def _require_within(requested: frozenset[str], app: OAuthApp) -> None:
    registered = expand(parse_scopes(app.scopes))
    beyond = sorted(scope for scope in requested if scope not in registered)
    if beyond:
        raise OAuthError(
            "invalid_scope",
            f"The app was not registered for: {', '.join(beyond)}.",
        )


# ---------------------------------------------------------------- apps


def _digest(secret: str) -> str:
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
        client_secret_hash=_digest(secret),
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
    expected = app.client_secret_hash if app else _digest(secrets.token_urlsafe(32))
    if not hmac.compare_digest(expected, _digest(client_secret or "")) or app is None:
        raise OAuthError("invalid_client", "Client authentication failed.")
    return app


# ---------------------------------------------------------------- authorization code grant


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked request for the consent page: which app wants what, and where to answer."""

    app: OAuthApp
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    code_challenge: str | None


class UnsafeAuthorizationRequest(OAuthError):
    """The client or redirect URI is wrong: tell the user, never redirect anywhere (RFC 6749
    4.1.2.1), or the consent page would become an open redirector."""


async def check_client(client_id: str, redirect_uri: str) -> tuple[OAuthApp, str]:
    """The app and the redirect URI to answer at; UnsafeAuthorizationRequest if either is
    wrong. An omitted redirect URI means the app's only one."""
    app = await find_app(client_id)
    if app is None:
        raise UnsafeAuthorizationRequest("invalid_client", "This app is not registered here.")
    registered = app.redirect_uris.split("\n")
    if not redirect_uri and len(registered) == 1:
        redirect_uri = registered[0]
    if redirect_uri not in registered:
        raise UnsafeAuthorizationRequest(
            "invalid_request", "The redirect URI does not match any the app registered."
        )
    return app, redirect_uri


def check_authorization_request(
    app: OAuthApp,
    redirect_uri: str,
    *,
    response_type: str,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationRequest:
    """Validate the rest of /oauth/authorize's parameters once the client is known good;
    an OAuthError here may be reported to the client at its redirect URI."""
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
    scopes = parse_scopes(scope)
    _require_within(scopes, app)
    if code_challenge_method and not code_challenge:
        raise OAuthError("invalid_request", "code_challenge_method needs a code_challenge.")
    if code_challenge:
        if (code_challenge_method or "plain") != "S256":
            raise OAuthError("invalid_request", "Only the S256 code challenge method is supported.")
        if not PKCE_CHALLENGE.fullmatch(code_challenge):
            raise OAuthError("invalid_request", "The code challenge is malformed.")
    return AuthorizationRequest(app, redirect_uri, scopes, state or None, code_challenge or None)


async def issue_code(user: User, request: AuthorizationRequest) -> str:
    """The user consented: a one-time code for the app to exchange at /oauth/token."""
    code = secrets.token_urlsafe(32)
    await AuthorizationCode(
        code_hash=_digest(code),
        app=request.app.id,
        user=user.id,
        redirect_uri=request.redirect_uri,
        scopes=format_scopes(request.scopes),
        code_challenge=request.code_challenge,
        expires_at=datetime.now(UTC) + CODE_LIFETIME,
    ).save()
    return code


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(computed, challenge)


async def exchange_code(
    app: OAuthApp, code: str, redirect_uri: str, code_verifier: str | None
) -> IssuedToken:
    """Trade an authorization code for a token; a code works once, for its app, briefly."""
    # Deleting while reading makes the code single-use even under concurrent exchanges.
    rows: list[dict[str, Any]] = (
        await AuthorizationCode.delete()
        .where(AuthorizationCode.code_hash == _digest(code or ""))
        .returning(
            AuthorizationCode.app,
            AuthorizationCode.user,
            AuthorizationCode.redirect_uri,
            AuthorizationCode.scopes,
            AuthorizationCode.code_challenge,
            AuthorizationCode.expires_at,
        )
    )
    invalid = OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
    if not rows:
        raise invalid
    grant = rows[0]
    if grant["app"] != app.id or grant["expires_at"] <= datetime.now(UTC):
        raise invalid
    if (redirect_uri or grant["redirect_uri"]) != grant["redirect_uri"]:
        raise OAuthError("invalid_grant", "The redirect URI differs from the authorization's.")
    if grant["code_challenge"]:
        if not code_verifier or not PKCE_VERIFIER.fullmatch(code_verifier):
            raise OAuthError("invalid_grant", "A valid code_verifier is required (PKCE).")
        if not _pkce_matches(code_verifier, grant["code_challenge"]):
            raise OAuthError("invalid_grant", "The code_verifier does not match the challenge.")
    user = await User.objects().where(User.id == grant["user"]).first()
    if user is None or user.is_suspended:
        raise invalid
    return await issue_token(app, user, parse_scopes(grant["scopes"]))


# ---------------------------------------------------------------- other grants


async def password_grant(
    app: OAuthApp, username: str, password: str, scope: str | None
) -> IssuedToken:
    """Resource-owner password grant (what `toot login_cli` and older Mastodon.py use)."""
    scopes = parse_scopes(scope)
    _require_within(scopes, app)
    user = await accounts.authenticate(username or "", password or "")
    if user is None or user.is_suspended:
        raise OAuthError("invalid_grant", "Wrong username or password.")
    return await issue_token(app, user, scopes)


async def client_credentials_grant(app: OAuthApp, scope: str | None) -> IssuedToken:
    """A token for the app itself: it can read public data but acts for no user."""
    scopes = parse_scopes(scope)
    _require_within(scopes, app)
    return await issue_token(app, None, scopes)


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: frozenset[str]
    created_at: datetime
    expires_in: int  # seconds


@dataclass(frozen=True)
class TokenGrant:
    """What a verified bearer token stands for."""

    jti: str
    app_id: int
    user: User | None
    scopes: frozenset[str]


def _signing_key() -> bytes:
    # A key of its own, derived from SECRET_KEY, so JWTs and CSRF tokens never share a key.
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, b"agora oauth access token v1", hashlib.sha256).digest()


def token_lifetime() -> timedelta:
    """API tokens last as long as a browser log-in (SESSION_DAYS)."""
    return timedelta(days=get_settings().session_days)


async def issue_token(app: OAuthApp, user: User | None, scopes: frozenset[str]) -> IssuedToken:
    now = datetime.now(UTC).replace(microsecond=0)
    lifetime = token_lifetime()
    jti = uuid.uuid4().hex
    await AccessToken(
        jti=jti,
        app=app.id,
        user=user.id if user else None,
        scopes=format_scopes(scopes),
        created_at=now,
        expires_at=now + lifetime,
    ).save()
    claims = {
        "iss": ISSUER,
        "sub": str(user.id) if user else f"app:{app.client_id}",
        "client_id": app.client_id,
        "scope": format_scopes(scopes),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": jti,
    }
    token = jwt.encode(claims, _signing_key(), algorithm=JWT_ALGORITHM)
    return IssuedToken(token, scopes, now, int(lifetime.total_seconds()))


def _claims(token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _signing_key(),
            algorithms=[JWT_ALGORITHM],
            issuer=ISSUER,
            options={"require": ["iss", "sub", "exp", "jti", "scope"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken("The access token is invalid.") from error
    return claims


async def verify_token(token: str) -> TokenGrant:
    """Check a bearer token's signature, expiry and revocation; InvalidToken if any fails."""
    claims = _claims(token)
    row = (
        await AccessToken.select(AccessToken.app, AccessToken.user, AccessToken.scopes)
        .where(
            (AccessToken.jti == str(claims["jti"]))
            & AccessToken.revoked_at.is_null()
            & (AccessToken.expires_at > datetime.now(UTC))
        )
        .first()
    )
    if row is None:
        raise InvalidToken("The access token was revoked.")
    user: User | None = None
    if row["user"] is not None:
        if claims["sub"] != str(row["user"]):
            raise InvalidToken("The access token is invalid.")
        user = await User.objects().where(User.id == row["user"]).first()
        if user is None or user.is_suspended:
            raise InvalidToken("The account behind this token is not available.")
    # The row's scopes are authoritative; they were copied into the JWT at issue time.
    return TokenGrant(str(claims["jti"]), row["app"], user, frozenset(row["scopes"].split()))


async def revoke_token(app: OAuthApp, token: str) -> None:
    """Revoke one of the app's tokens (RFC 7009: unknown or foreign tokens are ignored)."""
    try:
        jti = str(_claims(token)["jti"])
    except InvalidToken:
        return
    await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)}).where(
        (AccessToken.jti == jti) & (AccessToken.app == app.id) & AccessToken.revoked_at.is_null()
    )


async def app_for(app_id: int) -> OAuthApp | None:
    app: OAuthApp | None = await OAuthApp.objects().where(OAuthApp.id == app_id).first()
    return app


async def delete_expired_grants() -> int:
    """Forget codes and token ids past their expiry (for a periodic job); returns how many.

    An expired token is refused by its `exp` claim anyway; its row only served revocation.
    """
    now = datetime.now(UTC)
    codes = (
        await AuthorizationCode.delete()
        .where(AuthorizationCode.expires_at <= now)
        .returning(AuthorizationCode.id)
    )
    tokens = (
        await AccessToken.delete().where(AccessToken.expires_at <= now).returning(AccessToken.id)
    )
    return len(codes) + len(tokens)


# ---------------------------------------------------------------- the user's view


@dataclass(frozen=True)
class AuthorizedApp:
    """An app holding live tokens for a user, as the user's settings list it."""

    app_id: int
    name: str
    website: str | None
    scopes: frozenset[str]
    last_authorized: datetime


async def authorized_apps(user_id: int) -> list[AuthorizedApp]:
    """The apps that can act for the user now, most recently authorized first."""
    rows: list[dict[str, Any]] = await AccessToken.raw(
        "SELECT a.id, a.name, a.website, string_agg(t.scopes, ' ') AS scopes,"
        " max(t.created_at) AS last_authorized"
        " FROM oauth_access_token t JOIN oauth_app a ON a.id = t.app"
        ' WHERE t."user" = {} AND t.revoked_at IS NULL AND t.expires_at > now()'
        " GROUP BY a.id ORDER BY last_authorized DESC, a.id DESC",
        user_id,
    )
    return [
        AuthorizedApp(
            row["id"],
            row["name"],
            row["website"],
            frozenset(row["scopes"].split()),
            row["last_authorized"],
        )
        for row in rows
    ]


async def revoke_app_access(user_id: int, app_id: int) -> int:
    """Revoke every token the app holds for the user; returns how many."""
    revoked = (
        await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)})
        .where(
            (AccessToken.user == user_id)
            & (AccessToken.app == app_id)
            & AccessToken.revoked_at.is_null()
        )
        .returning(AccessToken.id)
    )
    return len(revoked)
