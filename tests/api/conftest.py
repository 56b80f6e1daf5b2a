"""API test fixtures: the root fixtures (fresh database, app, client) plus OAuth helpers.

The root `clean_state` truncates the social tables; the API's tables are truncated here.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from domain.oauth.tables import OAUTH_TABLES
from domain.posts import IdempotencyKey, MediaUpload

# Shared with the browser tests: uvicorn as the Procfile runs it, for the real clients, and
# Chromium, for the consent page.
from tests.browser.conftest import browser, live_server, live_worker, playwright
from tests.conftest import TEST_DATABASE_URL, run_async


async def _truncate_api_tables() -> None:
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        names = ", ".join(
            f'"{table._meta.tablename}"' for table in (*OAUTH_TABLES, IdempotencyKey, MediaUpload)
        )
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


__all__ = ["browser", "live_server", "live_worker", "playwright"]


@pytest.fixture(autouse=True)
def clean_api_tables(clean_state: None) -> Iterator[None]:
    run_async(_truncate_api_tables)
    yield
