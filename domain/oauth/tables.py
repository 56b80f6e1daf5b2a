"""OAuth 2: registered client apps, authorization codes and issued access tokens.

Secrets (client secrets, authorization codes) are stored only as SHA-256 digests, like
session tokens: a leaked dump hands out nothing usable. Access tokens are signed JWTs that
are never stored at all; a row per token records its id (`jti`) so that it can be revoked.
"""

from __future__ import annotations

from piccolo.columns import (
    ForeignKey,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from domain.accounts.tables import User


class OAuthApp(Table, tablename="oauth_app"):
    """A client registered with POST /api/v1/apps."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    name = Varchar(length=100, null=False)
    website = Varchar(length=255, null=True, default=None)
    redirect_uris = Text(null=False)  # one URI a line, as Mastodon returns them
    scopes = Varchar(length=512, null=False)  # space-separated
    client_id = Varchar(length=64, unique=True, null=False)
    client_secret_hash = Varchar(length=64, null=False)
    created_at = Timestamptz(default=TimestamptzNow())


class AuthorizationCode(Table, tablename="oauth_authorization_code"):
    """A one-time code from the consent page, exchanged at /oauth/token within minutes."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    code_hash = Varchar(length=64, unique=True, null=False)
    app = ForeignKey(references=OAuthApp, on_delete=OnDelete.cascade, null=False)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    redirect_uri = Text(null=False)
    scopes = Varchar(length=512, null=False)
    # PKCE (RFC 7636): only S256 is accepted, so the method is implied by a challenge.
    code_challenge = Varchar(length=128, null=True, default=None)
    expires_at = Timestamptz(null=False)


class AccessToken(Table, tablename="oauth_access_token"):
    """One issued JWT, by its id: a token whose row is missing or revoked is refused."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    jti = Varchar(length=64, unique=True, null=False)
    app = ForeignKey(references=OAuthApp, on_delete=OnDelete.cascade, null=False)
    # None for a client_credentials token, which acts for the app and no user.
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, default=None)
    scopes = Varchar(length=512, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=False, index=True)
    revoked_at = Timestamptz(null=True, default=None)


OAUTH_TABLES = (OAuthApp, AuthorizationCode, AccessToken)
