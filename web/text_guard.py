"""The text rule (domain.core.text) applied at the edge, before anything parses a request: the
query string, and url-encoded and JSON bodies. A request that breaks it is refused with a 400
naming the parameter, as a page or as JSON like every other error. Multipart text fields are
checked where they are read (`web.forms.text_field`, `web.api.params`), since file parts are
binary; the domain checks the text it stores as well, so nothing unchecked reaches the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from domain.core.text import control_character_problem, decode_problem

JSON_BODY_STATE_KEY = "json_body"


def is_json(content_type: str) -> bool:
    """Whether a (lower-case, parameter-free) content type is JSON's, `+json` kinds included."""
    return content_type == "application/json" or content_type.endswith("+json")


def is_checked(content_type: str) -> bool:
    """Whether the guard reads bodies of this content type (url-encoded forms and JSON)."""
    return content_type == "application/x-www-form-urlencoded" or is_json(content_type)


def _pairs(encoded: bytes) -> Iterator[tuple[bytes, bytes]]:
    for part in encoded.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            yield (
                unquote_to_bytes(name.replace(b"+", b" ")),
                unquote_to_bytes(value.replace(b"+", b" ")),
            )


def form_problem(encoded: bytes) -> str | None:
    """What is wrong with a url-encoded query string or form, naming the parameter."""
    for raw_name, raw_value in _pairs(encoded):
        if problem := decode_problem(raw_name, "A parameter name"):
            return problem
        name = raw_name.decode()
        if problem := decode_problem(raw_value, f"The parameter {name}"):
            return problem
    return None


def _strings(value: Any) -> Iterator[tuple[str, str]]:
    """Every (name, text) in a decoded JSON document, keys included."""
    if isinstance(value, str):
        yield "", value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, key
            yield from ((key, text) for _, text in _strings(item))


def json_problem(document: Any) -> str | None:
    """What is wrong with the text of a decoded JSON document, naming the parameter."""
    for name, text in _strings(document):
        noun = f"The parameter {name}" if name else "A value"
        if problem := control_character_problem(text, noun):
            return problem
    return None


def _body_problem(scope: Scope, kind: str, body: bytes) -> str | None:
    """What is wrong with a url-encoded or JSON body. A JSON body that decodes is kept in
    the request's state (JSON_BODY_STATE_KEY) for web.api.params, so it is decoded once;
    one that does not is left to that parser's error, once its bytes are found to be text."""
    if kind == "application/x-www-form-urlencoded":
        return form_problem(body)
    try:
        # msgspec, unlike the json module, refuses what PostgreSQL cannot store or compare:
        # a lone surrogate ("\ud800"), NaN, and numbers beyond a double.
        document = msgspec.json.decode(body)
    except msgspec.MsgspecError:
        return decode_problem(body, "The body")
    scope.setdefault("state", {})[JSON_BODY_STATE_KEY] = document
    return json_problem(document)


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


async def _read_body(receive: Receive) -> tuple[bytes, list[ReceiveMessage]]:
    chunks: list[bytes] = []
    messages: list[ReceiveMessage] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def text_guard(app: ASGIApp) -> ASGIApp:
    """Litestar middleware: refuse a request whose query string or url-encoded/JSON body
    carries control characters or invalid UTF-8 (400, with the reason)."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        if problem := form_problem(scope.get("query_string", b"")):
            raise ValidationException(problem)
        kind = _content_type(scope)
        if not is_checked(kind):
            await app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        if problem := _body_problem(scope, kind, body):
            raise ValidationException(problem)
        replay = iter(messages)

        async def receive_again() -> ReceiveMessage:
            return next(replay, None) or await receive()

        await app(scope, receive_again, send)

    return guarded
