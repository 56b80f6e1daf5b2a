"""API test fixtures: the root fixtures (fresh database, app, client) plus OAuth helpers.

The root `clean_state` truncates the social tables; the API's tables are truncated here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from domain.api_tables import API_TABLES

# The browser fixtures are shared, so the consent page can be tested in Chromium too.
from tests.browser.conftest import browser, free_port, playwright, wait_until_live
from tests.conftest import ROOT, TEST_DATABASE_URL, run_async


async def _truncate_api_tables() -> None:
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        names = ", ".join(f'"{table._meta.tablename}"' for table in API_TABLES)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


__all__ = ["browser", "playwright"]


@pytest.fixture(autouse=True)
def clean_api_tables(clean_state: None) -> Iterator[None]:
    run_async(_truncate_api_tables)
    yield


@pytest.fixture(scope="session")
def live_api(test_database: str) -> Iterator[str]:
    """The web process (uvicorn, as the Procfile runs it) for real HTTP clients."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "--factory",
            "web.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
