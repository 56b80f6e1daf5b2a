"""The one rule for the numbers a request carries: ids in paths, paging cursors, limits, pages.

A number is written with the ASCII digits 0 to 9 only (no sign, no spaces, no underscores and
no other script's digits: Python's `int` takes "٣" and `str.isdigit` takes "²") and is at most
the largest value of the column it is compared with, PostgreSQL's `integer` for `serial` ids
and `bigint` for `bigserial` ones (see each package's `tables.py`). A number breaking the rule
is refused here, before it reaches a query, where it would fail as a 500.

It lives in the core so that the domain's own parsers (paging cursors) keep the same rule as
the web layer's parameters. `MalformedNumber` becomes a 400 page (web/errors.py) or a 422 JSON
error (web/api/errors.py); an id in a path that breaks the rule names nothing, so `path_id`
raises NotFound instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.core.errors import NotFound


@dataclass(frozen=True)
class NumberRange:
    """The values a parameter may take, both ends included."""

    minimum: int
    maximum: int


# PostgreSQL's integer (serial ids: accounts, comments, follows, blocks, uploads, OAuth rows).
SERIAL = NumberRange(0, 2**31 - 1)
# PostgreSQL's bigint (bigserial ids: posts, likes, bookmarks, notifications).
BIGSERIAL = NumberRange(0, 2**63 - 1)
# A limit, an offset or a page number: small enough for any arithmetic done with it.
COUNT = NumberRange(0, 2**31 - 1)


class MalformedNumber(ValueError):
    """A request's number broke the rule; the message names the parameter and what it takes."""


def parse_number(raw: str, name: str, allowed: NumberRange) -> int:
    """`raw` as an int within `allowed`; raises MalformedNumber (its message names `name`)."""
    if not (raw.isascii() and raw.isdigit()):
        raise MalformedNumber(f"{name} must be a whole number written with the digits 0 to 9")
    # Length first: converting a long string costs time, and Python refuses over 4300 digits.
    significant = raw.lstrip("0") or "0"
    if len(significant) > len(str(allowed.maximum)) or not (
        allowed.minimum <= int(significant) <= allowed.maximum
    ):
        raise MalformedNumber(f"{name} must be from {allowed.minimum} to {allowed.maximum}")
    return int(significant)


def optional_number(raw: str | None, name: str, allowed: NumberRange) -> int | None:
    """Like `parse_number`, with None for a parameter left out or left empty."""
    if raw is None or raw == "":
        return None
    return parse_number(raw, name, allowed)


def path_id(raw: str, allowed: NumberRange, missing: str) -> int:
    """An id from a URL path; one breaking the rule names no record: NotFound(`missing`)."""
    try:
        return parse_number(raw, "id", allowed)
    except MalformedNumber as error:
        raise NotFound(missing) from error
