"""The servers a fault scenario kills: its own PostgreSQL, Redis, web process and worker.

Nothing here touches a server someone else runs: PostgreSQL is a fresh cluster (initdb into a
temporary directory, run as the `postgres` user when this runs as root) and Redis a fresh
`redis-server`, each on a free port of 127.0.0.1; the web process and the worker are the
Procfile's lines, started as subprocesses in process groups of their own so that a kill takes
their children with them and nothing outlives the run.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, redirect_stdout, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import asyncpg
import httpx
from redis import Redis
from redis.exceptions import RedisError

from bench.seed import SeedConfig, seed

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DATABASE = "agora"
START_TIMEOUT_SECONDS = 60.0
# What the worker logs once its start-up is done (tasks.worker.startup).
WORKER_READY = "worker ready"


class StartError(RuntimeError):
    """A server did not start; its log says why."""


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin(name: str) -> str:
    """The newest installed PostgreSQL's `name` (Debian keeps them out of PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path is None:
        raise StartError(f"PostgreSQL's {name} is not installed")
    return on_path


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], log: Path) -> None:
    with log.open("ab") as output:
        result = subprocess.run(argv, stdout=output, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise StartError(f"{' '.join(argv[:6])} failed ({result.returncode}); see {log}")


class Postgres:
    """A throw-away PostgreSQL cluster on a free port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.data = workdir / "postgres"
        self.log = workdir / "postgres.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def init(self) -> None:
        self.data.mkdir()
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.log, "postgres", "postgres")
        _run(
            _as_postgres(
                [
                    *(_postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres"),
                    *("-A", "trust", "-E", "UTF8", "--no-sync"),
                ]
            ),
            self.log,
        )

    def _ctl(self, *args: str) -> list[str]:
        # fsync off: the scenarios stop PostgreSQL cleanly (a fast shutdown writes everything
        # out), so durability against a power cut is not what is measured, and it keeps the
        # shared disk quiet. The socket lives in the cluster's own directory.
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        return _as_postgres(
            [
                *(_postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w"),
                *("-o", options, *args),
            ]
        )

    def start(self) -> None:
        _run(self._ctl("start"), self.log)

    def stop(self, mode: str = "fast") -> None:
        """Stop it: `fast` rolls back open transactions and closes every connection."""
        _run(self._ctl("-m", mode, "stop"), self.log)

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    async def create_database(self) -> None:
        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await connection.close()


class RedisServer:
    """A throw-away redis-server on a free port; its snapshot (dump.rdb) is kept in `dir`,
    written only when `save` is called, so a kill loses everything since the last save."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.log = workdir / "redis.log"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self, from_snapshot: bool = False) -> None:
        """Start it, empty or loading the last `save`; returns once it answers PING."""
        snapshot = self.dir / "dump.rdb"
        if not from_snapshot:
            snapshot.unlink(missing_ok=True)
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self._log_file = self.log.open("ab")
        self._process = subprocess.Popen(
            argv, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StartError(f"redis-server exited; see {self.log}")
            with suppress(RedisError, OSError), self.client() as client:
                if client.ping():
                    return
            time.sleep(0.02)
        raise StartError(f"redis-server did not answer; see {self.log}")

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)

    def save(self) -> None:
        """Write the snapshot now (what `--save` rules would do now and then)."""
        with self.client() as client:
            client.save()

    def kill(self) -> None:
        """SIGKILL: no shutdown save, the way a crashed or OOM-killed Redis goes."""
        _kill_group(self._process, signal.SIGKILL)
        self._process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


def _kill_group(process: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if process is None or process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Service:
    """One of the Procfile's long-running lines (web or worker), run in its own process group."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        self.exit_codes: list[int] = []  # of runs that ended without being killed by us

    def start(self) -> None:
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        self._note_exit()
        _kill_group(self._process, sig)
        self._process = None

    def stop(self) -> None:
        """SIGTERM for a clean stop, SIGKILL if it does not end within 10 s."""
        self.kill(signal.SIGTERM)

    def _note_exit(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            self.exit_codes.append(self._process.returncode)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None


@dataclass(frozen=True)
class StackOptions:
    """How big the world is: the seeded graph, and the users that will act as clients."""

    clients: int = 8
    users: int = 400
    posts: int = 2_000
    password: str = "fault-password"


@dataclass
class Stack:
    """Everything a scenario runs against, with its addresses."""

    workdir: Path
    postgres: Postgres
    redis: RedisServer
    web: Service
    worker: Service
    base_url: str
    options: StackOptions

    async def start_web(self) -> None:
        """Run the release step, start the web process and return once it answers
        /health/live. The release step comes first as in a deploy: it is a no-op unless the
        code changed meanwhile, and on a working tree others edit during a run it keeps a
        restarted web process from meeting tables older than its code."""
        await release(self.web.env)
        self.web.start()
        await wait_until_live(self.base_url, self.web)

    async def start_worker(self) -> None:
        """Start the worker and return once its start-up is done (it logs WORKER_READY), as
        the web process's return is counted once it answers: a Python process takes seconds
        to import its code on a loaded machine, and that is not the time its recovery takes."""
        await start_and_wait_for(self.worker, WORKER_READY)


async def start_and_wait_for(service: Service, line: str) -> None:
    """Start `service` and return once its log, from now on, holds `line`."""
    offset = service.log.stat().st_size if service.log.exists() else 0
    service.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not service.running:
            raise StartError(f"the {service.name} exited; see {service.log}")
        with service.log.open("rb") as log:
            log.seek(offset)
            if line.encode() in log.read():
                return
        await asyncio.sleep(0.05)
    raise StartError(f"the {service.name} did not start; see {service.log}")


async def wait_until_live(base_url: str, web: Service) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=1.0) as client:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not web.running:
                raise StartError(f"the web process exited; see {web.log}")
            with suppress(httpx.TransportError):
                if (await client.get("/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise StartError(f"the web process did not answer; see {web.log}")


def service_env(
    database_url: str, redis_url: str, public_url: str, workdir: Path
) -> dict[str, str]:
    """The web process's and the worker's environment: production defaults, except that many
    log-ins come from one address and password hashing is cheap (neither is measured)."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(
            ("TEST_", "PG", "AGORA_", "ARGON2_", "LOGIN_", "OUTBOX_", "PUBLIC_", "ALLOWED_")
        )
    }
    unlimited = "100000"  # for every name the log-in limits go by
    return {
        **inherited,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_hex(16),
        "AGORA_ENV": "development",
        "PUBLIC_URL": public_url,
        "LOGIN_ATTEMPTS_PER_MINUTE": unlimited,
        "LOGIN_ATTEMPTS_PER_ADDRESS": unlimited,
        "LOGIN_ATTEMPTS_PER_ACCOUNT": unlimited,
        "LOGIN_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS": unlimited,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "MEDIA_DIR": str(workdir / "media"),
        # A SIGKILL must not take the last log lines with it: they are the reproduction.
        "PYTHONUNBUFFERED": "1",
    }


async def release(env: Mapping[str, str]) -> None:
    """The Procfile's release step: apply the migrations."""
    result = await asyncio.to_thread(
        subprocess.run,
        [str(VENV_BIN / "piccolo"), "migrations", "forwards", "all"],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StartError(f"the release command failed:\n{result.stdout}{result.stderr}")


async def _seed(postgres: Postgres, options: StackOptions) -> None:
    connection = await asyncpg.connect(postgres.url)
    try:
        config = SeedConfig(
            users=options.users,
            posts=options.posts,
            password=options.password,
            top_followers=options.users // 10,
            bookmarks=0,
            comments=options.posts // 4,
            days=7,
        )
        with redirect_stdout(io.StringIO()):  # its step timings are not this run's figures
            await seed(connection, config)
    finally:
        await connection.close()


@asynccontextmanager
async def running_stack(options: StackOptions | None = None) -> AsyncIterator[Stack]:
    """Start PostgreSQL, Redis, the release step, web and worker; stop them all on the way
    out, however the run ends, and remove their files."""
    options = options or StackOptions()
    workdir = Path(tempfile.mkdtemp(prefix="agora-faults-"))
    os.chmod(workdir, 0o755)  # the postgres user must reach its data directory inside
    postgres, redis = Postgres(workdir), RedisServer(workdir)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = service_env(postgres.url, redis.url, base_url, workdir)
    web = Service(
        "web",
        [
            *(str(VENV_BIN / "uvicorn"), "--factory", "web.app:create_app"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-server-header"),
        ],
        env,
        workdir / "web.log",
    )
    worker = Service(
        "worker", [str(VENV_BIN / "saq"), "tasks.worker.settings"], env, workdir / "worker.log"
    )
    stack = Stack(workdir, postgres, redis, web, worker, base_url, options)
    try:
        await asyncio.to_thread(postgres.init)
        await asyncio.to_thread(postgres.start)
        await postgres.create_database()
        await asyncio.to_thread(redis.start)
        await release(env)
        await _seed(postgres, options)
        await stack.start_web()
        await stack.start_worker()
        yield stack
    finally:
        for service in (web, worker):
            service.stop()
        redis.kill()
        if postgres.is_running():
            with suppress(StartError):
                await asyncio.to_thread(postgres.stop, "immediate")
        if os.environ.get("AGORA_FAULTS_KEEP_LOGS"):
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
