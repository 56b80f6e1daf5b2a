"""domain.core.sql: named parameters, fragments spliced in, and mistakes that raise."""

from __future__ import annotations

import pytest
from piccolo.querystring import QueryString

from domain.core.sql import fetch, sql


def test_names_bind_in_order_and_a_repeated_name_binds_each_time() -> None:
    query = sql("SELECT {a} + {b} WHERE {a} > 0", a=1, b=2)
    assert query.compile_string() == ("SELECT $1 + $2 WHERE $3 > 0", [1, 2, 1])


def test_a_fragment_brings_its_own_parameters_along() -> None:
    inner = sql("x = {value}", value="inner")
    query = sql(
        "SELECT {first} WHERE {condition} AND {column} = {last}",
        first=1,
        condition=inner,
        column=QueryString("p.id"),
        last=3,
    )
    assert query.compile_string() == ("SELECT $1 WHERE x = $2 AND p.id = $3", [1, "inner", 3])


def test_a_missing_or_unused_parameter_raises() -> None:
    with pytest.raises(KeyError):
        sql("SELECT {a}, {b}", a=1)
    with pytest.raises(TypeError, match="not in the statement"):
        sql("SELECT {a}", a=1, typo=2)


async def test_fetch_runs_the_statement_with_its_values(app: object) -> None:
    rows = await fetch(
        sql("SELECT {a}::int + {b}::int AS total, {s}::text AS s", a=2, b=3, s="{x}")
    )
    assert rows == [{"total": 5, "s": "{x}"}]
