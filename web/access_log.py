"""Keep secrets out of the logs: uvicorn's access log writes each request's path with its
query string, so the values of parameters that carry credentials are masked first."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, unquote_plus

# Names that carry a secret in OAuth 2 and the Mastodon API. Such values are refused in a
# query string where it matters (/oauth/token, /oauth/revoke), but a client may still send
# one, and the line is written whatever the answer.
SECRET_PARAMETERS = frozenset(
    {
        "access_token",
        "client_secret",
        "code",
        "code_verifier",
        "password",
        "refresh_token",
        "token",
    }
)
REDACTED = "[redacted]"
# A name=value pair of a query string: a value runs to the next `&` (the server reads a `;`
# as part of it).
_QUERY_PARAMETER = re.compile(r"(?P<name>[^?&=\s]+)=(?P<value>[^&\s#]*)")
# A name=value pair among a path's `;` parameters, which no route takes but a 404 is logged
# for too (uvicorn writes them percent-encoded: the path is decoded first).
_PATH_PARAMETER = re.compile(r"(?P<name>[^;/=\s]+)=(?P<value>[^;/\s]*)")
# What a name is compared by: its letters and underscores, percent-decoded and lower-cased,
# so that a control character, a space or `[]` around a secret's name does not hide it.
_NOT_NAME = re.compile(r"[^a-z_]")


def names_a_secret(name: str) -> bool:
    """Whether a (decoded) parameter name is a secret's, compared by its letters and
    underscores only, case-insensitively: `Password`, `password[]`, `password\0` are."""
    return _NOT_NAME.sub("", name.lower()) in SECRET_PARAMETERS


def _mask(match: re.Match[str]) -> str:
    name = match.group("name")
    return f"{name}={REDACTED}" if names_a_secret(unquote_plus(name)) else match.group(0)


def redact_query(path: str) -> str:
    """`path` with the values of secret-carrying parameters, in its query string or its `;`
    parameters, replaced by `[redacted]` (names compared by their letters and underscores,
    percent-decoded and case-insensitively); a path holding `;` parameters is shown
    percent-decoded."""
    route, mark, query = path.partition("?")
    if ";" in unquote(route):
        route = _PATH_PARAMETER.sub(_mask, unquote(route))
    return route + mark + _QUERY_PARAMETER.sub(_mask, query)


class RedactSecrets(logging.Filter):
    """A filter for the `uvicorn.access` logger, whose arguments are (client, method, path,
    HTTP version, status): it rewrites the path with `redact_query`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


class RedactWebSocketSecrets(logging.Filter):
    """A filter for the `uvicorn.error` logger, where uvicorn logs each WebSocket handshake
    as (client, path[, status]): the streaming API takes `access_token` in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(record.msg, str)
            and '"WebSocket %s"' in record.msg
            and isinstance(args, tuple)
            and len(args) >= 2
            and isinstance(args[1], str)
        ):
            record.args = (args[0], redact_query(args[1]), *args[2:])
        return True


def redact_access_log() -> None:
    """Install the filters on uvicorn's access and WebSocket handshake lines (idempotent)."""
    for name, kind in (
        ("uvicorn.access", RedactSecrets),
        ("uvicorn.error", RedactWebSocketSecrets),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
