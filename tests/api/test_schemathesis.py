"""The API keeps its OpenAPI contract: schemathesis sends generated requests, valid and not,
to every /api operation of the document at /schema/openapi.json, anonymously and with a
user's bearer token, and every answer must be no 5xx and match the document (a documented
status code, content type, headers and body schema).

Bounded for CI: a fixed number of examples an operation, derandomized (the same requests on
every run), no shrinking, and a time limit for the whole run.

The requests go to the web process as the Procfile runs it (the `live_server` fixture), not
through schemathesis's in-process ASGI client: that client keeps the app's lifespan running
on an event loop of its own for the rest of the session, with the app's database pool, which
every later in-process test would then share across loops.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import make_user, token_for
from tests.conftest import run_async

EXAMPLES_PER_OPERATION = 6
TIME_LIMIT_SECONDS = 50  # each of the two runs
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _exercise(base_url: str, headers: dict[str, str]) -> list[str]:
    """Every /api operation with generated requests; the broken promises, one line each."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json").include(
        path_regex="^/api/"
    )
    failures: list[str] = []
    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"an operation schemathesis cannot read: {result.err()}")
        operations.append(result.ok())
    assert len(operations) > 30  # the whole API, not a filter that matched nothing
    for operation in operations:
        if time.monotonic() > deadline:
            # A slow machine tests fewer operations rather than failing CI on time alone.
            warnings.warn(f"time limit reached before {operation.label}", stacklevel=1)
            break
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def exercise(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=10)
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as failure:
                failures.append(f"{case.method} {case.formatted_path}: {failure}")

        exercise()
    return failures


def test_anonymous_calls_keep_the_contract(live_server: str) -> None:
    failures = _exercise(live_server, {})
    assert not failures, "\n\n".join(failures)


def test_authenticated_calls_keep_the_contract(live_server: str) -> None:
    async def token() -> str:
        return await token_for(await make_user("fuzzer"))

    bearer = run_async(token)
    failures = _exercise(live_server, {"Authorization": f"Bearer {bearer}"})
    assert not failures, "\n\n".join(failures)


pytestmark = pytest.mark.timeout(120)
