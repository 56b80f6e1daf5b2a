"""Errors the domain raises; the web layer maps each to a status code and a message."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: the message is safe to show to the user."""


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps each field name to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Conflict(ValidationFailed):
    """Input was well-formed but clashes with existing data (e.g. a taken username)."""


class NotFound(DomainError):
    """The thing asked for does not exist, or the viewer may not see it."""


class Forbidden(DomainError):
    """The viewer may see the thing but not do this to it."""
