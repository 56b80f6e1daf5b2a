"""Raw SQL with named parameters, for the statements Piccolo's query builder cannot express.

A statement is a constant template whose placeholders are names in braces (`{user_id}`);
`sql()` binds each name to a value, however often the template uses it. A value that is
itself a fragment made by `sql()` is spliced in with its own parameters, which is how a
statement takes a shared condition (a block filter, a paging bound) without any string
formatting of SQL. Templates never contain other braces.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

TRUE = QueryString("TRUE")
NOTHING = QueryString("")


@cache
def _parsed(template: str) -> tuple[str, tuple[str, ...]]:
    """The template in QueryString's positional form, and its placeholder names in order.
    Templates are constants, so each is parsed once per process."""
    return _PLACEHOLDER.sub("{}", template), tuple(_PLACEHOLDER.findall(template))


def sql(template: str, /, **params: Any) -> QueryString:
    """The template with each `{name}` bound to `params[name]`.

    Raises KeyError for a placeholder without a value and TypeError for a value the template
    does not use, so a renamed parameter cannot silently bind the wrong thing.
    """
    positional, names = _parsed(template)
    if len(params) != len(set(names)) and (unused := set(params) - set(names)):
        raise TypeError(f"parameters not in the statement: {sorted(unused)}")
    return QueryString(positional, *[params[name] for name in names])


@cache
def _engine() -> Any:
    engine = engine_finder()
    assert engine is not None, "piccolo_conf.py names the engine"
    return engine


async def fetch(query: QueryString) -> list[dict[str, Any]]:
    """Run a statement (inside the current transaction, if any); its rows as dicts."""
    return [dict(row) for row in await _engine().run_querystring(query)]


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text`, taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
