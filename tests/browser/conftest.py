"""Browser fixtures: the app served by uvicorn as in production, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright

from tests.conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_web(
    port: int, env: dict[str, str], output: int | IO[Any] = subprocess.DEVNULL, *extra: str
) -> subprocess.Popen[bytes]:
    """The Procfile's web line (uvicorn serving web.app:create_app) on 127.0.0.1:`port`, with
    this environment, its stdout and stderr going to `output`."""
    uvicorn = Path(sys.executable).parent / "uvicorn"
    command = [str(uvicorn), "--factory", "web.app:create_app", "--host", "127.0.0.1"]
    return subprocess.Popen(
        [*command, "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
    )


def wait_until_live(base_url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


@dataclass(frozen=True)
class WebServer:
    """A running web process: its base URL and the process itself."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def serving(
    settings: Mapping[str, str] | None = None,
    output: int | IO[Any] = subprocess.DEVNULL,
    *extra: str,
    stop_seconds: float = 10,
) -> Iterator[WebServer]:
    """The Procfile's web line on a free port, live when this yields, stopped afterwards. Its
    environment is this process's with `settings` over it; its absolute URLs (OAuth metadata,
    Link headers) are its own address unless `settings` names a PUBLIC_URL. `output` and
    `extra` as for `start_web`."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = start_web(
        port, {**os.environ, "PUBLIC_URL": base_url, **(settings or {})}, output, *extra
    )
    try:
        wait_until_live(base_url, process)
        yield WebServer(base_url, process)
    finally:
        process.terminate()
        process.wait(timeout=stop_seconds)


@pytest.fixture(scope="session")
def live_server(test_database: str) -> Iterator[str]:
    """The web process from the Procfile, on a free port, against the test database."""
    # The server shares the test database: its periodic outbox sweep would relay jobs that
    # in-process tests record and then inspect. It still relays its own at once.
    with serving({"OUTBOX_SWEEP_SECONDS": "3600"}) as server:
        yield server.url


@pytest.fixture
def live_worker(live_server: str) -> Iterator[None]:
    """The Procfile's worker, running the jobs live_server relays (fan-out, notifications),
    so that what they publish reaches live streams. One per test: tests without it rely on
    jobs not running behind their backs (a notification appearing mid-test)."""
    saq = Path(sys.executable).parent / "saq"
    process = subprocess.Popen(
        [str(saq), "tasks.worker.settings"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


# The async API shares pytest-asyncio's event loop; the sync API would hold a loop of its own
# open for the whole session and break every async test that runs after it.
@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    driver = await async_playwright().start()
    yield driver
    await driver.stop()


@pytest.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    await chromium.close()


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def javascript(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def open_page(
    browser: Browser, live_server: str, javascript: bool = True, bypass_csp: bool = False
) -> Page:
    context = await browser.new_context(
        base_url=live_server, java_script_enabled=javascript, bypass_csp=bypass_csp
    )
    context.set_default_timeout(10_000)
    return await context.new_page()


@pytest.fixture
async def page(browser: Browser, live_server: str, javascript: bool) -> AsyncIterator[Page]:
    """A fresh browser profile (no cookies), JavaScript on or off per the `javascript` param."""
    new_page = await open_page(browser, live_server, javascript)
    yield new_page
    await new_page.context.close()
