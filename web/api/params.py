"""Request parameters the way Mastodon takes them: query string, form, multipart or JSON.

Mastodon.py sends forms, toot sends JSON, and Mastodon accepts either (and parameters in
the query string of a POST), so handlers read one merged view instead of a typed body.
Arrays come as `name[]=a&name[]=b` in forms and as JSON arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request

from web.api.errors import unprocessable
from web.text_guard import JSON_BODY_STATE_KEY, given_twice, is_json


class Params:
    def __init__(self, values: dict[str, list[Any]]) -> None:
        self._values = values

    def get(self, name: str) -> str | None:
        """The parameter as text; None when absent. Raises a 422 when it was given more than
        once (in a multipart body, or in the query string and the body), as the edge refuses
        it within one query string or url-encoded body (web.text_guard)."""
        values = self._single(name, f"{name}[]")
        if not values:
            return None
        value = values[0]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            raise unprocessable(f"{name} must be a single value")
        return None if value is None else str(value)

    def text(self, name: str, default: str = "") -> str:
        value = self.get(name)
        return default if value is None else value

    def get_list(self, name: str) -> list[str]:
        """Every value of `name` or `name[]`; a single value counts as a list of one."""
        found: list[str] = []
        for key in (name, f"{name}[]"):
            for value in self._values.get(key, []):
                items = value if isinstance(value, list) else [value]
                found.extend(str(item) for item in items if item is not None)
        return found

    def has(self, name: str) -> bool:
        return name in self._values or f"{name}[]" in self._values

    def flag(self, name: str) -> bool | None:
        """The parameter as a boolean (see `as_flag`); None when absent. Raises as `get`."""
        values = self._single(name)
        return as_flag(name, values[0]) if values else None

    def _single(self, *names: str) -> list[Any]:
        """The values given under any of `names` (a name, and its `name[]` spelling); a 422
        when there is more than one, since which was meant cannot be told."""
        values = [value for name in names for value in self._values.get(name, [])]
        if len(values) > 1:
            raise unprocessable(given_twice(names[0]))
        return values

    def nested(self, name: str) -> Any:
        """A structured parameter: as JSON sends it (`"source": {"privacy": "public"}`), or
        built from a form's bracketed names (`source[privacy]=public`,
        `fields_attributes[0][name]=...`) into objects keyed by what is in the brackets;
        None when absent."""
        prefix = f"{name}["
        bracketed = [key for key in self._values if key.startswith(prefix) and key.endswith("]")]
        if name in self._values:
            if bracketed:  # `source` as JSON and `source[privacy]` in the query, say
                raise unprocessable(given_twice(name))
            return self._single(name)[0]
        found: dict[str, Any] = {}
        for key in bracketed:
            values = self._single(key)
            *path, last = key[len(prefix) : -1].split("][")
            node = found
            for part in path:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise unprocessable(f"{key} clashes with another {name} parameter")
            node[last] = values[0]
        return found or None


TRUE_WORDS = frozenset({"true", "1", "t", "on", "yes"})
FALSE_WORDS = frozenset({"false", "0", "f", "off", "no"})


def as_flag(name: str, value: Any) -> bool | None:
    """A boolean as Mastodon takes one: JSON true/false, or in forms true/false, 1/0 (what
    Mastodon.py sends), on/off; None for null. Anything else is refused with 422 naming it."""
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise unprocessable(f"{name} must be true or false")


@dataclass(frozen=True)
class OnlySetting:
    """A Mastodon option of which Agora has one setting: that value is accepted (it is what
    Agora does anyway), any other is refused with 422 naming the option, never ignored."""

    name: str
    agora: bool | str
    refusal: str

    def check(self, value: bool | str | None) -> None:
        """Refuse `value` (None: not sent) unless it is Agora's setting."""
        if value is not None and value != self.agora:
            raise unprocessable(f"{self.refusal} ({self.name})")


def _add(values: dict[str, list[Any]], name: str, value: Any) -> None:
    values.setdefault(name, []).append(value)


async def _json_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The JSON body (as web.text_guard decoded it), {} when empty; 422 when malformed or not
    an object."""
    if JSON_BODY_STATE_KEY in request.state:
        decoded = request.state[JSON_BODY_STATE_KEY]
    else:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            decoded = msgspec.json.decode(raw)
        except msgspec.MsgspecError as error:
            raise unprocessable(
                "The JSON body is malformed: it must be JSON of valid Unicode text"
            ) from error
    if not isinstance(decoded, dict):
        raise unprocessable("The JSON body must be an object")
    return decoded


async def read_params(request: Request[Any, Any, Any]) -> Params:
    """The query string's parameters and the body's together: a name in both is a name given
    twice (`Params.get` refuses it), not one the body silently overrides. A multipart file
    part under the name of a text field is refused (422): it would be dropped silently."""
    values: dict[str, list[Any]] = {}
    for name, value in request.query_params.multi_items():
        _add(values, name, value)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if is_json(content_type):
        for name, value in (await _json_body(request)).items():
            _add(values, name, value)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        files: set[str] = set()
        for name, value in form.multi_items():
            # Files (avatars, media) are read by their handlers; only text fields are here.
            if isinstance(value, str):
                _add(values, name, value)
            else:
                files.add(name)
        if clash := sorted(files & values.keys()):
            raise unprocessable(given_twice(clash[0]))
    return Params(values)
