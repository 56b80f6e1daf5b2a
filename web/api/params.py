"""Request parameters the way Mastodon takes them: query string, form, multipart or JSON.

Mastodon.py sends forms, toot sends JSON, and Mastodon accepts either (and parameters in
the query string of a POST), so handlers read one merged view instead of a typed body.
Arrays come as `name[]=a&name[]=b` in forms and as JSON arrays.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request

from web.api.errors import unprocessable


class Params:
    def __init__(self, values: dict[str, list[Any]]) -> None:
        self._values = values

    def get(self, name: str) -> str | None:
        """The parameter as text; None when absent."""
        values = self._values.get(name) or self._values.get(f"{name}[]")
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


def _add(values: dict[str, list[Any]], name: str, value: Any) -> None:
    values.setdefault(name, []).append(value)


async def read_params(request: Request[Any, Any, Any]) -> Params:
    """Query string first, then the body (which wins for a name present in both)."""
    values: dict[str, list[Any]] = {}
    for name, value in request.query_params.multi_items():
        _add(values, name, value)
    body: dict[str, list[Any]] = {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        if raw.strip():
            try:
                decoded = json.loads(raw)
            except ValueError as error:
                raise unprocessable("The JSON body is malformed") from error
            if not isinstance(decoded, dict):
                raise unprocessable("The JSON body must be an object")
            for name, value in decoded.items():
                _add(body, name, value)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for name, value in form.multi_items():
            # Files (avatars, media) are not supported; only text fields are read.
            if isinstance(value, str):
                _add(body, name, value)
    values.update(body)
    return Params(values)
