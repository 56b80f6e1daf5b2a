"""The audit's steps in order; import it only through `bench.ui_audit.__main__`, which
points the settings at the audit's own database and Redis first."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis

from bench.ui_audit.lighthouse import PageScores, audit_page, median_run
from bench.ui_audit.report import DOC, commit_description, write_doc
from bench.ui_audit.screenshots import SCREENSHOT_DIR, Shot, take_screenshots
from bench.ui_audit.seed import Showcase, seed_showcase
from domain.core import database, redis_guard
from domain.core.redis_guard import GuardedRedis, create_redis
from domain.core.settings import get_settings
from tests.browser.conftest import serving as serving_web
from tests.conftest import (
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    _recreate_database,
    run_async,
    run_release,
)

LIGHTHOUSE_PAGES = ("home", "profile", "post", "notifications", "explore")
VISITOR_PAGES = {"login": "/login", "signup": "/signup"}
SESSION_COOKIES = ("agora_session", "agora_csrf")


def prepare() -> Showcase:
    """An empty database, migrated by the release step, and an empty Redis db, then the
    showcase seeded into them."""
    print(f"preparing {TEST_DATABASE_URL} and {TEST_REDIS_URL}", flush=True)
    run_async(_recreate_database)
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    release = run_release()
    if release.returncode != 0:
        raise RuntimeError(f"the release step failed:\n{release.stdout}{release.stderr}")
    return asyncio.run(_seed())


async def _seed() -> Showcase:
    settings = get_settings()
    await database.open_pool(min_size=0, max_size=4)
    client = create_redis(settings)
    redis_guard.use(
        GuardedRedis(client, settings.redis_timeout_seconds, settings.redis_retry_seconds)
    )
    try:
        return await seed_showcase()
    finally:
        redis_guard.use(None)
        await client.aclose()
        await database.close_pool()


@contextmanager
def serving(log: Path) -> Iterator[str]:
    """The Procfile's web line on a free port (its output in `log`); yields its base URL."""
    with log.open("wb") as output, serving_web(output=output) as server:
        yield server.url


def log_in(base_url: str, showcase: Showcase) -> dict[str, str]:
    """Log the member in through the form, as a browser would; returns the cookies."""
    with httpx.Client(base_url=base_url) as client:
        client.get("/login").raise_for_status()
        response = client.post(
            "/login",
            data={
                "username": showcase.member,
                "password": showcase.password,
                "_csrf_token": client.cookies["agora_csrf"],
            },
        )
        if response.status_code != 303:
            raise RuntimeError(f"log-in failed: {response.status_code} {response.text[:200]}")
        return {name: client.cookies[name] for name in SESSION_COOKIES}


def run_lighthouse(
    base_url: str, showcase: Showcase, cookies: dict[str, str], workdir: Path, runs: int
) -> list[PageScores]:
    """Each page's median of `runs` Lighthouse runs."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    pages: list[tuple[str, str, str | None]] = [
        (name, showcase.pages[name], cookie) for name in LIGHTHOUSE_PAGES
    ]
    pages.append(("login", VISITOR_PAGES["login"], None))
    results = []
    for name, path, sent_cookie in pages:
        print(f"lighthouse {name} ({path}), {runs} run(s)", flush=True)
        page_runs = [audit_page(name, base_url, path, workdir, sent_cookie) for _ in range(runs)]
        results.append(median_run(page_runs))
    return results


def print_results(results: list[PageScores]) -> None:
    print(f"\n{'page':<14}{'a11y':>6}{'best':>6}{'perf':>6}{'seo':>6}")
    for r in results:
        scores = (r.scores[c] for c in ("accessibility", "best-practices", "performance", "seo"))
        print(f"{r.page:<14}" + "".join(f"{'n/a' if s is None else s:>6}" for s in scores))
        for category, titles in r.shortfalls.items():
            for title in titles:
                print(f"    {category}: {title}")


def run(*, lighthouse_runs: int) -> int:
    """Every step, with `lighthouse_runs` runs of Lighthouse per page (0: none, the
    figures in the doc stay as they are); returns the exit status (1 when a page misses
    the Lighthouse gate)."""
    commit = commit_description()
    showcase = prepare()
    shots = [Shot(name, path, True) for name, path in showcase.pages.items()]
    shots += [Shot(name, path, False) for name, path in VISITOR_PAGES.items()]
    workdir = Path(tempfile.mkdtemp(prefix="agora-ui-audit-"))
    with serving(workdir / "web.log") as base_url:
        cookies = log_in(base_url, showcase)
        load_before = os.getloadavg()[0]
        results = (
            run_lighthouse(base_url, showcase, cookies, workdir, lighthouse_runs)
            if lighthouse_runs
            else None
        )
        load = (
            f"The machine's load average was {load_before:.1f} before and "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs; "
            "a busy machine lowers performance scores."
        )
        print("screenshots", flush=True)
        playwright_cookies = [
            {"name": name, "value": value, "url": base_url} for name, value in cookies.items()
        ]
        files = asyncio.run(take_screenshots(base_url, shots, playwright_cookies))
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} screenshots, {size / 1024:.0f} KiB, in {SCREENSHOT_DIR}")
    write_doc(results, [shot.page for shot in shots], commit, load)
    print(f"figures written to {DOC} (reports and server log in {workdir})")
    if results is None:
        return 0
    print_results(results)
    failures = [f"{r.page}: {f}" for r in results for f in r.failures()]
    for failure in failures:
        print(f"BELOW TARGET {failure}")
    return 1 if failures else 0
