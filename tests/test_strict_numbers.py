"""One strict rule for every number a request carries (domain.core.numbers): ASCII digits
within the column's range, or a clear 4xx (a page with the reason, or a JSON error), never a
500. Each kind of malformed number is tried on pages, API paths, API queries and bodies."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from httpx import AsyncClient

from domain.core.numbers import BIGSERIAL, COUNT, SERIAL, MalformedNumber, NumberRange, parse_number
from tests.api.helpers import caller
from tests.helpers import htmx_headers, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]

# One of each kind of malformed number: too large for a 32-bit column, too large for a 64-bit
# one, far too long, other scripts' digits (some of which Python's int() takes), superscripts
# (which str.isdigit() takes), signs, spaces, separators, notation, and nothing a number.
BEYOND_SERIAL = "3000000000"
BEYOND_BIGSERIAL = "99999999999999999999"
MALFORMED = [
    BEYOND_BIGSERIAL,
    "9" * 5000,
    "٣",  # Arabic-Indic three: int() takes it
    "\uff11",  # fullwidth one: int() takes it
    "²",  # superscript two: isdigit() takes it, int() refuses
    "-1",
    "+1",
    " 1",
    "1_000",
    "1e3",
    "0x1",
    "abc",
]


@pytest.mark.parametrize(
    ("raw", "allowed", "expected"),
    [
        ("0", SERIAL, 0),
        ("7", SERIAL, 7),
        ("0007", SERIAL, 7),
        ("2147483647", SERIAL, 2**31 - 1),
        ("9223372036854775807", BIGSERIAL, 2**63 - 1),
        ("00000000000000000000001", BIGSERIAL, 1),
    ],
)
def test_parse_number_takes_ascii_digits_within_the_range(
    raw: str, allowed: NumberRange, expected: int
) -> None:
    assert parse_number(raw, "id", allowed) == expected


@pytest.mark.parametrize(
    ("raw", "allowed"),
    [
        ("2147483648", SERIAL),
        ("9223372036854775808", BIGSERIAL),
        ("", SERIAL),
        *((raw, BIGSERIAL) for raw in MALFORMED),
    ],
)
def test_parse_number_refuses_everything_else_naming_the_parameter(
    raw: str, allowed: NumberRange
) -> None:
    with pytest.raises(MalformedNumber, match=r"^before must be"):
        parse_number(raw, "before", allowed)


def test_a_count_range_starts_where_it_says() -> None:
    assert parse_number("0", "limit", COUNT) == 0
    with pytest.raises(MalformedNumber, match="from 1 to"):
        parse_number("0", "page", NumberRange(1, 10))


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


PAGE_QUERIES = [
    "/@alice/followers?before={n}",
    "/@alice/following?before={n}",
    "/notifications?before={n}",
    "/search?q=hello&page={n}",
    "/@alice/{post}?comment={n}",
    "/@alice/{post}?after={n}",
    "/@alice/{post}?reply_to={n}",
]


@pytest.mark.parametrize("template", PAGE_QUERIES)
async def test_pages_refuse_a_malformed_number_in_the_query_with_a_400_page(
    members: Members, template: str
) -> None:
    alice = await members("alice")
    post = await write_post(alice, "hello")
    # Notification ids are 64-bit: a number beyond 32 bits is an ordinary (empty) page there.
    numbers = MALFORMED if "notifications" in template else [BEYOND_SERIAL, *MALFORMED]
    for number in numbers:
        url = template.format(n=number, post=post)
        response = await alice.get(url)
        assert response.status_code == 400, (url, response.text[:200])
        assert "must be" in response.text
        assert "Bad request" in response.text


async def test_pages_answer_404_for_an_id_in_the_path_that_breaks_the_rule(
    members: Members,
) -> None:
    alice = await members("alice")
    post = await write_post(alice, "hello")
    headers = htmx_headers(alice)
    for number in MALFORMED:  # post ids are 64-bit
        for url in (f"/@alice/{number}", f"/posts/{number}/delete"):
            response = await alice.get(url)
            assert response.status_code == 404, (url, response.text[:200])
        for action in ("like", "unlike", "bookmark", "unbookmark", "delete", "comments"):
            response = await alice.post(f"/posts/{number}/{action}", headers=headers)
            assert response.status_code == 404, (action, response.text[:200])
            assert "That post does not exist." in response.text
    for number in (BEYOND_SERIAL, *MALFORMED):  # comment ids are 32-bit
        response = await alice.get(f"/comments/{number}/delete")
        assert response.status_code == 404
        assert "That comment does not exist." in response.text
        response = await alice.post(f"/comments/{number}/delete", headers=headers)
        assert response.status_code == 404
        # A reply's parent is a comment id too: a form field, refused with the field's name.
        response = await alice.post(
            f"/posts/{post}/comments", data={"text": "hi", "parent_id": number}, headers=headers
        )
        assert response.status_code == 400
        assert "parent_id must be" in response.text


async def test_well_formed_numbers_still_page(members: Members) -> None:
    alice = await members("alice")
    post = await write_post(alice, "hello")
    for url in (
        "/@alice/followers?before=2147483647",
        "/@alice/followers?before=",
        "/notifications?before=9223372036854775807",
        "/search?q=hello&page=1",
        f"/@alice/{post}?comment=2147483647",
        f"/@alice/{post:05d}",
    ):
        assert (await alice.get(url)).status_code == 200, url


async def test_a_malformed_feed_cursor_is_a_400_page(client: AsyncClient) -> None:
    for raw in ("1.\u0663", "-1.5", f"1.{BEYOND_BIGSERIAL}", " 1.2", "1_0.2", "1.2.3", "1"):
        for path in ("/", "/explore", "/tags/hello"):
            response = await client.get(path, params={"cursor": _cursor(raw)})
            assert response.status_code == 400, (path, raw, response.text[:200])
            assert "That page link is not valid" in response.text


API_QUERIES = [
    ("/api/v1/timelines/public?max_id={n}", "max_id"),
    ("/api/v1/timelines/public?since_id={n}", "since_id"),
    ("/api/v1/timelines/home?min_id={n}", "min_id"),
    ("/api/v1/timelines/public?limit={n}", "limit"),
    ("/api/v1/notifications?max_id={n}", "max_id"),
    ("/api/v1/bookmarks?max_id={n}", "max_id"),
    ("/api/v1/favourites?since_id={n}", "since_id"),
    ("/api/v1/accounts/{me}/statuses?max_id={n}", "max_id"),
    ("/api/v1/accounts/{me}/followers?max_id={n}", "max_id"),
    ("/api/v1/accounts/{me}/following?limit={n}", "limit"),
    ("/api/v1/blocks?max_id={n}", "max_id"),
    ("/api/v1/accounts/relationships?id[]={n}", "id"),
    ("/api/v2/search?q=a&offset={n}", "offset"),
    ("/api/v2/search?q=a&limit={n}", "limit"),
]


async def test_the_api_refuses_a_malformed_number_in_the_query_with_422(
    client: AsyncClient,
) -> None:
    alice = await caller(client, "alice")
    for (template, name), number in itertools.product(API_QUERIES, MALFORMED):
        response = await alice.get(template.format(n=number, me=alice.user.id))
        assert response.status_code == 422, (template, number, response.text)
        assert response.json()["error"].startswith(f"{name} must be")


async def test_serial_keyed_api_lists_refuse_ids_beyond_32_bits(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    for url in (
        f"/api/v1/accounts/{alice.user.id}/followers?max_id=99999999999",
        f"/api/v1/accounts/{alice.user.id}/following?max_id={BEYOND_SERIAL}",
        f"/api/v1/blocks?max_id={BEYOND_SERIAL}",
    ):
        response = await alice.get(url)
        assert response.status_code == 422
        assert response.json() == {"error": "max_id must be from 0 to 2147483647"}
    # Post-keyed lists are 64-bit: the same number is an ordinary (empty) page there.
    assert (await alice.get(f"/api/v1/timelines/public?max_id={BEYOND_SERIAL}")).json() == []


async def test_lists_that_page_only_backwards_refuse_forward_cursors(
    client: AsyncClient,
) -> None:
    """Follower, following, block and follow-request lists page by max_id alone: since_id
    and min_id, malformed or not, are a 422 saying so, never a page that ignored them."""
    alice = await caller(client, "alice")
    lists = [
        f"/api/v1/accounts/{alice.user.id}/followers",
        f"/api/v1/accounts/{alice.user.id}/following",
        "/api/v1/blocks",
        "/api/v1/follow_requests",
    ]
    for url, (name, value) in itertools.product(
        lists, [("since_id", "1"), ("min_id", "5"), ("since_id", "abc"), ("min_id", "\u00b2")]
    ):
        response = await alice.get(f"{url}?{name}={value}")
        assert response.status_code == 422, (url, name, value, response.text)
        assert response.json() == {"error": f"This list pages only backwards, with max_id ({name})"}
    for url in lists:
        assert (await alice.get(f"{url}?max_id=5&limit=2")).status_code == 200, url


async def test_api_limits_out_of_range_are_clamped_as_mastodon_does(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    await alice.status("hello")
    for limit in ("0", "1000", "2147483647", ""):
        response = await alice.get(f"/api/v1/timelines/public?limit={limit}")
        assert response.status_code == 200
        assert len(response.json()) == 1


async def test_the_api_answers_record_not_found_for_a_malformed_id_in_the_path(
    client: AsyncClient,
) -> None:
    alice = await caller(client, "alice")
    for number in (BEYOND_SERIAL, *MALFORMED):
        urls = [
            ("GET", f"/api/v1/statuses/c{number}"),
            ("GET", f"/api/v1/accounts/{number}"),
            ("GET", f"/api/v1/accounts/{number}/statuses"),
            ("POST", f"/api/v1/accounts/{number}/follow"),
            ("GET", f"/api/v1/media/{number}"),
        ]
        if number != BEYOND_SERIAL:  # post and notification ids are 64-bit
            urls += [
                ("GET", f"/api/v1/statuses/{number}"),
                ("GET", f"/api/v1/statuses/{number}/context"),
                ("POST", f"/api/v1/statuses/{number}/favourite"),
                ("DELETE", f"/api/v1/statuses/{number}"),
                ("GET", f"/api/v1/notifications/{number}"),
                ("POST", f"/api/v1/notifications/{number}/dismiss"),
            ]
        for method, url in urls:
            response = await client.request(method, url, headers=alice.headers)
            assert response.status_code == 404, (method, url, response.text)
            assert response.json() == {"error": "Record not found"}


async def test_status_ids_and_media_ids_in_a_body_follow_the_rule(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    for number in ("\u00b9", "\u0663", BEYOND_BIGSERIAL, f"c{BEYOND_SERIAL}"):
        response = await alice.post(
            "/api/v1/statuses", json={"status": "hi", "in_reply_to_id": number}
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    for number in ("\u00b2", "\u0663", BEYOND_SERIAL, "-1"):
        response = await alice.post(
            "/api/v1/statuses", json={"status": "hi", "media_ids": [number]}
        )
        assert response.status_code == 422
        assert response.json()["error"].startswith("media_ids must be")


# Text that is not Unicode: refused at the edge (web/text_guard.py, 400) or by the API's body
# reader (422); either way a 4xx naming the problem.
NOT_TEXT_JSON: list[str | bytes] = [
    '{"status": "\\ud800"}',  # a lone high surrogate
    '{"status": "\\udfff and more"}',  # a lone low surrogate
    '{"status": "x", "in_reply_to_id": "\\ud83d"}',
    b'{"status": "\xff"}',  # not UTF-8
]
# JSON the json module takes but PostgreSQL could not: refused by the API's body reader.
NOT_JSON = ['{"status": 1e999}', '{"status": NaN}', '{"status": "unterminated']
JSON_ENDPOINTS = [
    ("POST", "/api/v1/statuses"),
    ("PATCH", "/api/v1/accounts/update_credentials"),
    ("POST", "/api/v1/apps"),
    ("PUT", "/api/v1/media/1"),
]


async def test_a_json_body_that_is_not_valid_unicode_json_is_a_4xx_everywhere(
    client: AsyncClient,
) -> None:
    alice = await caller(client, "alice")
    headers = {**alice.headers, "content-type": "application/json"}
    for body, (method, url) in itertools.product(NOT_TEXT_JSON, JSON_ENDPOINTS):
        response = await client.request(method, url, content=body, headers=headers)
        assert response.status_code in (400, 422), (url, body, response.text)
        assert response.json()["error"]
    for body, (method, url) in itertools.product(NOT_JSON, JSON_ENDPOINTS):
        response = await client.request(method, url, content=body, headers=headers)
        assert response.status_code == 422, (url, body, response.text)
        assert response.json() == {
            "error": "The JSON body is malformed: it must be JSON of valid Unicode text"
        }


async def test_a_valid_surrogate_pair_is_an_ordinary_character(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    response = await alice.post(
        "/api/v1/statuses",
        content='{"status": "smile \\ud83d\\ude00"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["text"] == "smile \U0001f600"
