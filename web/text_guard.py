"""The text rule (domain.core.text) applied at the edge, before anything parses a request: the
query string, and url-encoded and JSON bodies. A request that breaks it is refused with a 400
naming the parameter, as a page or as JSON like every other error. Multipart text fields are
checked where they are read (`web.forms.text_field`, `web.api.params`), since file parts are
binary; the domain checks the text it stores as well, so nothing unchecked reaches the database.

The edge also refuses what would otherwise be read one way by one reader and another way by
the next (Litestar keeps the last of a repeated query parameter, a multi-dict's `get` the
first): a query parameter given twice that the route reads as one value; any field given
twice in a page's url-encoded form (the site's forms never repeat one); a JSON object with a
key twice; JSON nested deeper than MAX_JSON_DEPTH (which no Mastodon entity comes near, and
which would exhaust the parsers' recursion). The API's parameters are refused when read
(`web.api.params.Params.get`), as are a multipart form's fields (`web.forms`), since clients
send names the API never reads more than once (Mastodon.py sends its `oauth_info` so).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, cast
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

from domain.core.text import control_character_problem, decode_problem

JSON_BODY_STATE_KEY = "json_body"
# Where clients (Mastodon's API, OAuth, discovery), not the site's own forms, send requests.
API_PATHS = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo/")
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The body nests arrays and objects more than {MAX_JSON_DEPTH} deep."


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


def form_problem(encoded: bytes, once: Callable[[str], bool] = lambda _: False) -> str | None:
    """What is wrong with a url-encoded query string or form, naming the parameter: text that
    breaks the rule, or a parameter given twice for which `once(name)` holds."""
    seen: set[str] = set()
    for raw_name, raw_value in _pairs(encoded):
        if problem := decode_problem(raw_name, "A parameter name"):
            return problem
        name = raw_name.decode()
        if problem := decode_problem(raw_value, f"The parameter {name}"):
            return problem
        if name in seen and once(name):
            return given_twice(name)
        seen.add(name)
    return None


def given_twice(name: str) -> str:
    """The refusal of a parameter sent more than once (`name[]` is how a list is sent)."""
    return f"The parameter {name} was given more than once; send it once (or as {name}[])."


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every (name, text) in a decoded JSON document, keys included, in document order; the
    name is the top-level key the text is under ("" for none). Raises ValueError(TOO_DEEP)
    for a document nested deeper than MAX_JSON_DEPTH. A loop, not recursion: the depth is
    what is being checked."""
    pending: list[tuple[str, Any, int]] = [("", document, 1)]
    while pending:
        name, value, depth = pending.pop()
        if isinstance(value, str):
            yield name, value
            continue
        if not isinstance(value, (list, dict)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ValueError(TOO_DEEP)
        if isinstance(value, list):
            pending.extend((name, item, depth + 1) for item in reversed(value))
            continue
        for key, item in reversed(value.items()):
            pending.append((name or key, item, depth + 1))
            pending.append((name or key, key, depth))


def json_problem(document: Any) -> str | None:
    """What is wrong with the text of a decoded JSON document, naming the parameter; or that
    it is nested too deep."""
    try:
        for name, text in _strings(document):
            noun = f"The parameter {name}" if name else "A value"
            if problem := control_character_problem(text, noun):
                return problem
    except ValueError as too_deep:
        return str(too_deep)
    return None


class _KeyGivenTwice(ValueError):
    pass


def _keys_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _KeyGivenTwice(given_twice(key))
        found[key] = value
    return found


def duplicate_key_problem(body: bytes) -> str | None:
    """A key given twice in one object of a JSON body that msgspec decoded (Python's parser,
    which alone sees each pair: msgspec keeps the last value silently)."""
    try:
        json.loads(body, object_pairs_hook=_keys_once)
    except _KeyGivenTwice as twice:
        return str(twice)
    return None


def _body_problem(scope: Scope, kind: str, body: bytes) -> str | None:
    """What is wrong with a url-encoded or JSON body. A JSON body that decodes is kept in
    the request's state (JSON_BODY_STATE_KEY) for web.api.params, so it is decoded once;
    one that does not is left to that parser's error, once its bytes are found to be text."""
    if kind == "application/x-www-form-urlencoded":
        path: str = scope["path"]
        return form_problem(body, once=lambda _: not path.startswith(API_PATHS))
    try:
        # msgspec, unlike the json module, refuses what PostgreSQL cannot store or compare:
        # a lone surrogate ("\ud800"), NaN, and numbers beyond a double.
        document = msgspec.json.decode(body)
    except msgspec.MsgspecError:
        return decode_problem(body, "The body")
    except RecursionError:
        return TOO_DEEP
    if problem := json_problem(document) or duplicate_key_problem(body):
        return problem
    scope.setdefault("state", {})[JSON_BODY_STATE_KEY] = document
    return None


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole body, read the way Litestar reads it: RequestEntityTooLarge (413) past the
    route's `request_max_body_size`, announced or streamed, before any of it is parsed."""
    return await Request[Any, Any, Any](scope, receive).body()


def _single(handler: HTTPRouteHandler, scope: Scope) -> frozenset[str]:
    """The query parameters the handler (or a dependency of it) takes as one value, by the
    names a request sends them under."""
    # Only the path parameters' names matter here (they are not query parameters).
    path_parameters = cast("dict[str, Any]", scope.get("path_params", {}))
    model = handler.create_kwargs_model(path_parameters=path_parameters)
    return frozenset(
        parameter.field_alias
        for parameter in model.expected_query_params
        if not parameter.is_sequence
    )


def text_guard(app: ASGIApp) -> ASGIApp:
    """Litestar middleware: refuse a request whose query string or url-encoded/JSON body
    carries control characters or invalid UTF-8, or is ambiguous (the module's docstring
    says how): 400, with the reason."""

    single: dict[HTTPRouteHandler, frozenset[str]] = {}  # per route handler, see `_single`

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        read_once: frozenset[str] = frozenset()
        if isinstance(handler := scope.get("route_handler"), HTTPRouteHandler):
            if handler not in single:
                single[handler] = _single(handler, scope)
            read_once = single[handler]
        if problem := form_problem(scope.get("query_string", b""), read_once.__contains__):
            raise ValidationException(problem)
        kind = _content_type(scope)
        if not is_checked(kind):
            await app(scope, receive, send)
            return
        body = await _read_body(scope, receive)
        if problem := _body_problem(scope, kind, body):
            raise ValidationException(problem)
        replay = iter([HTTPRequestEvent(type="http.request", body=body, more_body=False)])

        async def receive_again() -> ReceiveMessage:
            return next(replay, None) or await receive()

        await app(scope, receive_again, send)

    return guarded
