"""Test set-up: a fresh `agora_test` database migrated by the real release command, a Redis
db index of the suite's own, and helpers to drive the app as a browser would."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit


def _per_worker(database_url: str, redis_url: str) -> tuple[str, str]:
    """Under pytest-xdist, each worker process (`gw0`, `gw1`, ...) gets a database of its own
    (the name with `_gw0` added) and the Redis db index after the previous worker's; alone,
    the URLs as given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return database_url, redis_url
    number = int(worker[2:])
    database = urlsplit(database_url)
    redis_parts = urlsplit(redis_url)
    redis_db = int(redis_parts.path.lstrip("/") or 0) + number
    return (
        urlunsplit(database._replace(path=f"{database.path}_{worker}")),
        urlunsplit(redis_parts._replace(path=f"/{redis_db}")),
    )


# Settings are read once, at first import: point them at the test services before anything else.
TEST_DATABASE_URL, TEST_REDIS_URL = _per_worker(
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/agora_test"),
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"),
)
os.environ.update(
    DATABASE_URL=TEST_DATABASE_URL,
    REDIS_URL=TEST_REDIS_URL,
    SECRET_KEY="test-secret-key-not-for-production",
    AGORA_ENV="test",
    # Cheap hashing keeps the suite fast; the parameters are still argon2id's.
    ARGON2_TIME_COST="1",
    ARGON2_MEMORY_KIB="1024",
    # Uploaded images go to a fresh directory of this run's own, never the developer's.
    MEDIA_DIR=tempfile.mkdtemp(prefix="agora-test-media-"),
    # The in-process client's address (http_client); servers on a port answer 127.0.0.1 too.
    PUBLIC_URL="http://agora.test",
)

import asyncpg  # noqa: E402
import pytest  # noqa: E402
import redis  # noqa: E402
from httpx import ASGITransport, AsyncClient  # noqa: E402
from litestar import Litestar  # noqa: E402
from saq import Worker  # noqa: E402

from domain.core.settings import Settings  # noqa: E402
from domain.piccolo_app import ALL_TABLES  # noqa: E402
from piccolo_conf import DB  # noqa: E402
from tasks import worker as worker_settings  # noqa: E402
from tasks.queue import WorkerContext  # noqa: E402
from tests.helpers import as_asgi, worker_functions  # noqa: E402
from web.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def run_async(coroutine_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even while a test's loop exists; its
    exception is raised here, in the caller's thread, where pytest reports it."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine_factory()))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres"))


async def _recreate_database() -> None:
    name = urlsplit(TEST_DATABASE_URL).path.lstrip("/")
    connection = await asyncpg.connect(admin_url(TEST_DATABASE_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def run_release(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The Procfile's release step, exactly as deployment runs it."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "piccolo"), "migrations", "forwards", "all"],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session", autouse=True)
def test_database() -> str:
    run_async(_recreate_database)
    result = run_release()
    assert result.returncode == 0, result.stdout + result.stderr
    return TEST_DATABASE_URL


# Longer than any statement of a finished test, far shorter than the test timeout.
TRUNCATE_LOCK_TIMEOUT = "10s"


async def _truncate_all() -> None:
    """Empty every table. A session still holding a lock on one (a statement a test left
    behind) fails the set-up within TRUNCATE_LOCK_TIMEOUT, naming that session: the fixture
    blocks the test's event loop meanwhile, so a lock held by a connection of that loop is
    never released, and waiting for it would only end in the test timeout."""
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        tables = ALL_TABLES
        names = ", ".join(f'"{table._meta.tablename}"' for table in tables)
        await connection.execute(f"SET lock_timeout = '{TRUNCATE_LOCK_TIMEOUT}'")
        try:
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        except asyncpg.LockNotAvailableError:
            holders = await connection.fetch(
                "SELECT pid, state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            raise AssertionError(
                "a session left by an earlier test holds a lock: "
                + "; ".join(f"{row['pid']} {row['state']}: {row['query']}" for row in holders)
            ) from None
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
def clean_state(test_database: str) -> Iterator[None]:
    run_async(_truncate_all)
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    yield


def http_client(app: Litestar) -> AsyncClient:
    """A client for the in-process app; it shows each redirect rather than following it."""
    return AsyncClient(transport=ASGITransport(app=as_asgi(app)), base_url="http://agora.test")


@asynccontextmanager
async def serve_app(settings: Settings | None = None) -> AsyncIterator[Litestar]:
    """Run the app's lifespan in a task of its own, as a server would; pytest sets up and tears
    down fixtures in different tasks, which anyio's cancel scopes refuse."""
    application = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    server = asyncio.create_task(serve())
    await asyncio.wait([server, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED")
    if server.done():
        server.result()  # start-up failed: raise its error
    try:
        yield application
    finally:
        stop.set()
        await server


@pytest.fixture
async def app() -> AsyncIterator[Litestar]:
    # The app runs in the test's own event loop, so tests may also query the database directly.
    async with serve_app() as application:
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncClient]:
    async with http_client(app) as test_client:
        yield test_client


@pytest.fixture
async def members(
    app: Litestar,
) -> AsyncIterator[Callable[[str], Coroutine[Any, Any, AsyncClient]]]:
    """A factory of logged-in clients, one per username, each with its own cookies."""
    from tests.helpers import sign_up

    opened: list[AsyncClient] = []

    async def member(username: str) -> AsyncClient:
        member_client = http_client(app)
        opened.append(member_client)
        response = await sign_up(member_client, username)
        assert response.status_code == 303, response.text
        return member_client

    yield member
    for member_client in opened:
        await member_client.aclose()


class QueryCounter:
    """The statements the app sent to Postgres through Piccolo, as SQL with `$n` placeholders."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> QueryCounter:
    """Records every statement the app sends to Postgres through Piccolo."""
    counter = QueryCounter()
    engine_class = type(DB)
    original = engine_class.run_querystring

    async def recording(engine: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        counter.statements.append(querystring.compile_string(engine_type="postgres")[0])
        return await original(engine, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", recording)
    return counter


@pytest.fixture
async def worker(app: Litestar) -> AsyncIterator[Worker[WorkerContext]]:
    """A real worker on the app's own queue, with the worker process's functions."""
    running = Worker(queue=app.state.queue, functions=worker_functions(worker_settings.settings))
    task = asyncio.create_task(running.start())
    yield running
    await running.stop()
    task.cancel()
