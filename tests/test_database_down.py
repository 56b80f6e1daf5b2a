"""PostgreSQL going away: every page and API call answers 503 with `Retry-After`, never 500.

The test runs a PostgreSQL cluster of its own (initdb and pg_ctl on a free port) and the web
process as the Procfile does, pointed at it, then stops and restarts that cluster under it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import free_port, serving
from tests.conftest import TEST_REDIS_URL, run_release

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = [
    pytest.mark.serial,
    pytest.mark.skipif(not PG_BIN, reason="PostgreSQL's server binaries are not here"),
]

# Anonymous and signed-in pages, the API (its guard and its handlers), OAuth's JSON.
PAGES = ["/", "/explore", "/@alice", "/search?q=hello", "/tags/hello"]
NEW_APP = {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
API = ["/api/v1/timelines/public", "/api/v1/instance", "/api/v1/accounts/1", "/api/v2/search?q=a"]


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port`, trusting local connections."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="agora-pg-"))
        self.data = self.directory / "data"
        self.log = str(self.directory / "server.log")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/agora"

    def _run(self, *command: str, check: bool = True) -> None:
        # PostgreSQL refuses to run as root: run its tools as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        binary = f"{PG_BIN[-1]}/{command[0]}"
        subprocess.run(
            [*prefix, binary, *command[1:]], check=check, capture_output=True, timeout=60
        )

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "agora")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
        # The server's output goes to a log file: an inherited pipe would never reach EOF.
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", self.log, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            self.log,
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def remove(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    own = Cluster()
    try:
        own.create()
        env = {**os.environ, "DATABASE_URL": own.url}
        migrated = run_release(env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        yield own
    finally:
        own.remove()


@pytest.fixture(scope="module")
def server(cluster: Cluster) -> Iterator[str]:
    """The web process as the Procfile runs it, against the cluster."""
    with serving({"DATABASE_URL": cluster.url, "REDIS_URL": TEST_REDIS_URL}) as server:
        yield server.url


def _get(base_url: str, path: str, signed_in: bool = False) -> httpx.Response:
    # Any session cookie makes the middleware look the session up in the database.
    cookies = {"agora_session": "not-a-real-session"} if signed_in else {}
    return httpx.get(f"{base_url}{path}", cookies=cookies, timeout=10)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.request.url, response.text[:300])
    assert response.headers["retry-after"].isdigit()
    if response.request.url.path.startswith("/api/"):
        assert response.json()["error"].startswith("Agora cannot reach its database")
    else:
        assert "cannot reach its database" in response.text
        assert "Temporarily unavailable" in response.text


def test_every_request_is_a_503_while_postgres_is_stopped(cluster: Cluster, server: str) -> None:
    assert _get(server, "/explore").status_code == 200
    cluster.stop()
    try:
        for path in PAGES:
            _assert_unavailable(_get(server, path))
            _assert_unavailable(_get(server, path, signed_in=True))
        for path in API:
            _assert_unavailable(_get(server, path))
        posted = httpx.post(
            f"{server}/api/v1/apps",
            data=NEW_APP,
            timeout=10,
        )
        _assert_unavailable(posted)
    finally:
        cluster.start()
    # Back without a restart of the web process: the pool connects again.
    assert _get(server, "/explore").status_code == 200
    assert _get(server, "/api/v1/timelines/public").status_code == 200


def test_a_fast_restart_answers_no_500(cluster: Cluster, server: str) -> None:
    """The issue's case: requests during `pg_ctl restart -m fast` (connections terminated,
    then "the database system is starting up") were 500s."""
    seen: list[httpx.Response] = []
    stop = threading.Event()

    def hammer() -> None:
        paths = [*PAGES, *API]
        index = 0
        while not stop.is_set():
            seen.append(_get(server, paths[index % len(paths)], signed_in=index % 2 == 1))
            index += 1

    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        cluster.restart()
        time.sleep(0.3)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    failures = [r for r in seen if r.status_code >= 500 and r.status_code != 503]
    assert not failures, sorted((r.status_code, str(r.request.url)) for r in failures)
    assert any(response.status_code == 200 for response in seen)
    for response in seen:
        if response.status_code == 503:
            _assert_unavailable(response)
