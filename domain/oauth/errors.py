"""The errors of OAuth 2 (RFC 6749 section 5.2) and of bearer tokens."""

from __future__ import annotations

from domain.core.errors import DomainError


class OAuthError(DomainError):
    """An OAuth failure with its RFC 6749 error code (`invalid_grant`, `invalid_client`, ...)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class InvalidToken(DomainError):
    """The bearer token is malformed, forged, expired or revoked."""
