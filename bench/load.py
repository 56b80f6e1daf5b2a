"""Drive a running Agora server with logged-in clients and report each page against a ceiling.

    python -m bench.load --base-url http://127.0.0.1:8000 --clients 32 --duration 15 [--pid PID]

It starts nothing: the server (the Procfile's `web` line, with AGORA_BENCH_ROUTES=1) and its
database (filled by `python -m bench.seed`) must be running. Each virtual client is an asyncio
task with its own keep-alive connection, logged in as its own `userK`; it sends its next request
as soon as the previous answer is read (a closed loop), so requests/second is the throughput at
that concurrency and the latencies are what a user would wait.

Logging in and finding the URLs go through httpx; the measured requests go through
`bench.keepalive`, a bare keep-alive HTTP/1.1 client that costs the shared cores far less.

Every scenario runs for the same time, after a short warm-up that is not counted, and is
reported as a ratio to the ceiling: a constant page of a feed page's size served by the same app
(`/_bench/ceiling`), measured in the same run. The time is split into rounds that visit every
scenario in turn, so other work on this shared machine weighs on the ceiling as much as on the
pages. A scenario whose page does not exist yet reports its errors instead of stopping the run.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import math
import os
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.keepalive import KeepAliveConnection, ProtocolError, build_request

CSRF_COOKIE = "agora_csrf"
CEILING = "ceiling"
_OLDER_LINK = re.compile(r'<a href="([^"]+)"[^>]*>\s*Older posts\s*</a>')
_POST_ID = re.compile(r'<article class="post" id="post-(\d+)"')
# A card's Reply link: the permalink's reply box, then the comment count.
_COMMENTED = re.compile(
    r'href="(/@\w+/\d+)#field-reply" data-reply>[^\n]*?<span class="count">(\d+)<span'
    r' class="visually-hidden"> comments?<'
)


class SetupError(RuntimeError):
    """The run cannot start: the server is down, or a client could not log in."""


@dataclass(frozen=True)
class LoadOptions:
    base_url: str = "http://127.0.0.1:8000"
    clients: int = 32
    duration: float = 15.0  # per scenario, in all
    rounds: int = 3  # the duration is split into this many interleaved slices
    warmup: float = 2.0
    password: str = "bench-password"
    first_user: int = 1  # clients log in as user<first_user> ... user<first_user + clients - 1>
    deep_pages: int = 10  # how many "Older posts" links to follow for the deep page
    think: float = 0.0  # seconds each client waits between requests; 0: a closed loop
    profile: str = "user1"
    pid: int | None = None  # the server's, to sample its memory
    scenarios: tuple[str, ...] = ()  # empty: all


@dataclass(frozen=True)
class Step:
    """One request a scenario repeats, and the status that counts as success."""

    method: str
    url: str
    expect: int = 200
    htmx: bool = False
    note: str = ""  # shown beside the URL in the report


@dataclass
class VirtualUser:
    """One logged-in client with its own connection and what it found while setting up."""

    username: str
    client: httpx.AsyncClient  # for setting up
    connection: KeepAliveConnection  # for the measured requests
    csrf: str = ""
    deep_url: str | None = None
    like_post: int | None = None

    def headers(self, step: Step) -> dict[str, str]:
        if step.method == "GET":
            return {}
        # What htmx sends: its marker and the CSRF token the page puts on <body hx-headers>.
        return {"HX-Request": "true", "x-csrftoken": self.csrf} if step.htmx else {}

    def request_bytes(self, step: Step, base_url: str) -> bytes:
        """The step as this user sends it: with the session and CSRF cookies of its log-in."""
        cookies = {cookie.name: cookie.value or "" for cookie in self.client.cookies.jar}
        return build_request(step.method, base_url, step.url, cookies, self.headers(step))


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of successful requests, seconds
    errors: Counter[str] = field(default_factory=Counter)
    body_bytes: int = 0
    max_rss_kib: int | None = None
    cpu_seconds: float = 0.0  # CPU time the load client itself used meanwhile
    server_cpu_seconds: float | None = None  # the server's (with --pid), meanwhile
    skipped: str = ""  # why the scenario could not run at all
    target: str = ""  # what was requested, for the report

    def record(self, elapsed: float, error: str | None, size: int) -> None:
        if error is None:
            self.latencies.append(elapsed)
            self.body_bytes += size
        else:
            self.errors[error] += 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float | None:
        """The latency below which `share` of successful requests finished (nearest rank)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1
        return ordered[rank]

    @property
    def client_cpu(self) -> float:
        """The share of one core the load client used: near 1.0, the client is the limit."""
        return self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_per_request(self) -> float | None:
        """The server's CPU time per answered request: with one process in a closed loop,
        the median wait is about the number of clients times this."""
        if self.server_cpu_seconds is None or not self.latencies:
            return None
        return self.server_cpu_seconds / len(self.latencies)

    @property
    def mean_kib(self) -> float:
        return self.body_bytes / len(self.latencies) / 1024 if self.latencies else 0.0


# -- setup: log in and find the URLs the scenarios need ---------------------------------------


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    """As a browser does: the form page sets the CSRF cookie, the form post answers 303.
    Returns the session's CSRF token, which later unsafe requests must send back."""
    await client.get("/login")
    csrf = client.cookies.get(CSRF_COOKIE) or ""
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf},
    )
    if response.status_code == 429:
        raise SetupError(
            f"log-in as {username} was rate limited (429): start the server with "
            "LOGIN_ATTEMPTS_PER_ADDRESS=100000 for a benchmark (see bench/README.md)"
        )
    if response.status_code != 303:
        raise SetupError(
            f"log-in as {username} answered {response.status_code}, not 303: is the "
            "database seeded by bench.seed with the same --password?"
        )
    # Tokens are bound to the session: the log-in's answer sets the new session's token.
    return client.cookies.get(CSRF_COOKIE) or csrf


async def find_deep_url(user: VirtualUser, pages: int) -> str | None:
    """Follow "Older posts" from the home page `pages` times (or as far as it goes)."""
    url, deepest = "/", None
    for _ in range(pages):
        response = await user.client.get(url)
        match = _OLDER_LINK.search(response.text) if response.status_code == 200 else None
        if match is None:
            break
        url = deepest = html.unescape(match.group(1))
    return deepest


async def find_like_post(user: VirtualUser, index: int) -> int | None:
    """A post from the client's own home page, a different one per client where possible, so
    the like toggle measures the endpoint rather than contention on one row."""
    for url in ("/", "/explore"):
        response = await user.client.get(url)
        ids = _POST_ID.findall(response.text) if response.status_code == 200 else []
        if ids:
            return int(ids[index % len(ids)])
    return None


async def find_commented_post(user: VirtualUser) -> tuple[str, int] | None:
    """The permalink and comment count of the most-commented post on the public feed's first
    pages: a hot post, the kind of post page that gets the traffic."""
    best: tuple[int, str] | None = None
    url: str | None = "/explore"
    for _ in range(3):
        if url is None:
            break
        response = await user.client.get(url)
        if response.status_code != 200:
            break
        for permalink, count in _COMMENTED.findall(response.text):
            if int(count) > 0 and (best is None or int(count) > best[0]):
                best = (int(count), permalink)
        older = _OLDER_LINK.search(response.text)
        url = html.unescape(older.group(1)) if older else None
    return (best[1], best[0]) if best else None


async def set_up(options: LoadOptions) -> list[VirtualUser]:
    users = []
    for offset in range(options.clients):
        client = httpx.AsyncClient(
            base_url=options.base_url,
            # One connection per virtual user, kept alive between its requests.
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=httpx.Timeout(30.0),
            follow_redirects=False,
        )
        connection = KeepAliveConnection(options.base_url)
        users.append(VirtualUser(f"user{options.first_user + offset}", client, connection))
    try:
        for index, user in enumerate(users):
            user.csrf = await log_in(user.client, user.username, options.password)
            user.deep_url = await find_deep_url(user, options.deep_pages)
            user.like_post = await find_like_post(user, index)
    except (SetupError, httpx.HTTPError):
        await close_all(users)
        raise
    return users


async def close_all(users: Sequence[VirtualUser]) -> None:
    for user in users:
        await user.client.aclose()
        await user.connection.close()


# -- scenarios ---------------------------------------------------------------------------------

StepsFor = Callable[[VirtualUser], list[Step] | None]


def scenario_table(
    options: LoadOptions, commented_post: tuple[str, int] | None
) -> dict[str, StepsFor]:
    """Each scenario's steps for one user, or None when its URL could not be found."""

    def like_toggle(user: VirtualUser) -> list[Step] | None:
        if user.like_post is None:
            return None
        base = f"/posts/{user.like_post}"
        return [Step("POST", f"{base}/like", htmx=True), Step("POST", f"{base}/unlike", htmx=True)]

    return {
        CEILING: lambda _user: [Step("GET", "/_bench/ceiling")],
        "home page 1": lambda _user: [Step("GET", "/")],
        "home deep page": lambda user: [Step("GET", user.deep_url)] if user.deep_url else None,
        "profile": lambda _user: [Step("GET", f"/@{options.profile}")],
        "post + comments": lambda _user: (
            [Step("GET", commented_post[0], note=f"{commented_post[1]} comments")]
            if commented_post
            else None
        ),
        "like toggle": like_toggle,
        "explore": lambda _user: [Step("GET", "/explore")],
    }


SCENARIOS = (
    CEILING,
    "home page 1",
    "home deep page",
    "profile",
    "post + comments",
    "like toggle",
    "explore",
)


async def drive(
    user: VirtualUser,
    steps: list[Step],
    until: float,
    result: Result,
    base_url: str,
    think: float = 0.0,
) -> None:
    """One client: the next request goes out when the previous answer is read (and, with a
    think time, that much later, as a person reading the page would)."""
    requests = [user.request_bytes(step, base_url) for step in steps]
    number = 0
    while time.perf_counter() < until:
        step, request = steps[number % len(steps)], requests[number % len(steps)]
        number += 1
        started = time.perf_counter()
        error: str | None = None
        size = 0
        try:
            status, size = await user.connection.exchange(request)
            if status != step.expect:
                error = f"HTTP {status}"
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ProtocolError,
            ValueError,
        ) as failure:
            error = type(failure).__name__
        result.record(time.perf_counter() - started, error, size)
        if think:
            await asyncio.sleep(think)


def describe(plans: Sequence[list[Step]], clients: int) -> str:
    """The first client's requests, whether the others request other URLs, and how many
    clients took part (a deep page, say, exists only for clients with a long enough feed)."""
    first = plans[0]
    text = ", ".join(f"{s.method} {s.url}" + (f" ({s.note})" if s.note else "") for s in first)
    if any(plan != first for plan in plans[1:]):
        text += " (client 1's; each client its own)"
    if len(plans) < clients:
        text += f"; only {len(plans)} of {clients} clients had one"
    return text


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used, from /proc (Linux); None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int | None:
    """The resident set of a process, from /proc (Linux); None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


async def sample_rss(pid: int, result: Result, interval: float = 0.25) -> None:
    """Keep the largest resident set seen until cancelled."""
    while True:
        current = rss_kib(pid)
        if current is not None:
            result.max_rss_kib = max(result.max_rss_kib or 0, current)
        await asyncio.sleep(interval)


async def _phase(
    users: Sequence[VirtualUser],
    plans: list[list[Step]],
    seconds: float,
    result: Result,
    options: LoadOptions,
) -> None:
    until = time.perf_counter() + seconds
    pairs = zip(users, plans, strict=True)
    await asyncio.gather(
        *(drive(user, plan, until, result, options.base_url, options.think) for user, plan in pairs)
    )


@dataclass
class Scenario:
    """A scenario ready to run: the clients that have something to request, and their steps."""

    result: Result
    users: list[VirtualUser]
    plans: list[list[Step]]


def prepare(name: str, users: Sequence[VirtualUser], steps_for: StepsFor) -> Scenario:
    plans = [steps_for(user) for user in users]
    ready = [(user, plan) for user, plan in zip(users, plans, strict=True) if plan]
    if not ready:
        skipped = Result(name, skipped="its URL was not found (page not built, or no data)")
        return Scenario(skipped, [], [])
    active, active_plans = [u for u, _ in ready], [p for _, p in ready]
    return Scenario(Result(name, target=describe(active_plans, len(users))), active, active_plans)


async def measure(scenario: Scenario, seconds: float, options: LoadOptions, warm: bool) -> None:
    """Run the scenario for `seconds` more and add what happened to its result."""
    result = scenario.result
    if warm and options.warmup > 0:
        # Fills caches and connection pools; not counted.
        warmup = Result(result.name)
        await _phase(scenario.users, scenario.plans, options.warmup, warmup, options)
    sampler = None
    if options.pid is not None:
        sampler = asyncio.create_task(sample_rss(options.pid, result))
    server_before = process_cpu_seconds(options.pid) if options.pid is not None else None
    cpu_before, started = _cpu_seconds(), time.perf_counter()
    await _phase(scenario.users, scenario.plans, seconds, result, options)
    result.seconds += time.perf_counter() - started
    result.cpu_seconds += _cpu_seconds() - cpu_before
    server_after = process_cpu_seconds(options.pid) if options.pid is not None else None
    if server_before is not None and server_after is not None:
        result.server_cpu_seconds = (
            (result.server_cpu_seconds or 0.0) + server_after - server_before
        )
    if sampler is not None:
        sampler.cancel()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- report ------------------------------------------------------------------------------------


def _ms(seconds: float | None, decimals: int = 1) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.{decimals}f}"


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}"


def format_report(
    results: Sequence[Result], options: LoadOptions, load_averages: Sequence[float] = ()
) -> str:
    ceiling = next((r for r in results if r.name == CEILING and r.latencies), None)
    header = (
        f"{'scenario':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'KiB':>6} {'rps/ceil':>8} {'p50/ceil':>8} {'RSS MiB':>8} {'client':>6} "
        f"{'srv ms':>6}"
    )
    lines = [
        f"{options.clients} clients, {options.duration:g} s per scenario in {options.rounds} "
        f"interleaved rounds (+{options.warmup:g} s warm-up), think time {options.think:g} s, "
        f"{options.base_url}",
        header,
        "-" * len(header),
    ]
    if load_averages:
        # Everything shares two cores: a busy machine during the run skews every figure.
        shown = " -> ".join(f"{value:.2f}" for value in load_averages)
        lines.insert(1, f"machine load average (1 min), start -> end: {shown}")
    ceiling_rps = ceiling.requests_per_second if ceiling else None
    ceiling_p50 = ceiling.percentile(0.5) if ceiling else None
    for result in results:
        if result.skipped:
            lines.append(f"{result.name:<16} skipped: {result.skipped}")
            continue
        rss = f"{result.max_rss_kib / 1024:.0f}" if result.max_rss_kib else "-"
        lines.append(
            f"{result.name:<16} {result.requests_per_second:>8.1f} "
            f"{_ms(result.percentile(0.50)):>8} {_ms(result.percentile(0.99)):>8} "
            f"{result.error_count:>7} {result.mean_kib:>6.1f} "
            f"{_ratio(result.requests_per_second, ceiling_rps):>8} "
            f"{_ratio(result.percentile(0.5), ceiling_p50):>8} "
            f"{rss:>8} {result.client_cpu:>6.0%} {_ms(result.server_cpu_per_request, 2):>6}"
        )
    lines += _error_lines(results)
    lines += [f"{r.name}: {r.target}" for r in results if r.target]
    peak = max((r.max_rss_kib or 0 for r in results), default=0)
    if peak:
        lines.append(f"server max RSS during the run: {peak / 1024:.0f} MiB (pid {options.pid})")
    lines.append(
        "rps/ceil: throughput as a share of the ceiling's; p50/ceil: median latency as a "
        "multiple of the ceiling's; client: CPU the load client used (share of one core); "
        "srv ms: the server's CPU time per answered request (with --pid)"
    )
    return "\n".join(lines)


def _error_lines(results: Sequence[Result]) -> list[str]:
    lines = []
    for result in results:
        if result.errors:
            kinds = ", ".join(f"{kind} x{count}" for kind, count in result.errors.most_common(3))
            lines.append(f"errors in {result.name}: {kinds}")
    return lines


async def run_load(options: LoadOptions, progress: Callable[[str], None] = print) -> list[Result]:
    """Log the clients in, then run the chosen scenarios, the ceiling first, in rounds: each
    round runs every scenario for its share of the duration, so a burst of other work on the
    machine falls on the ceiling and the pages alike rather than on one of them."""
    users = await set_up(options)
    try:
        commented = await find_commented_post(users[0])
        table = scenario_table(options, commented)
        chosen = [name for name in SCENARIOS if not options.scenarios or name in options.scenarios]
        if CEILING not in chosen:
            chosen.insert(0, CEILING)  # every figure is a ratio to it
        scenarios = [prepare(name, users, table[name]) for name in chosen]
        for round_number in range(options.rounds):
            for scenario in scenarios:
                if scenario.users:
                    progress(f"round {round_number + 1}/{options.rounds}: {scenario.result.name}")
                    seconds = options.duration / options.rounds
                    await measure(scenario, seconds, options, warm=round_number == 0)
        return [scenario.result for scenario in scenarios]
    finally:
        await close_all(users)


def parse_args(argv: Sequence[str] | None = None) -> LoadOptions:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description="Load a running Agora server."
    )
    defaults = LoadOptions()
    parser.add_argument("--base-url", default=defaults.base_url)
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds")
    parser.add_argument(
        "--rounds",
        type=int,
        default=defaults.rounds,
        help="split each scenario's duration into this many slices, run in turn with the others",
    )
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--first-user", type=int, default=defaults.first_user)
    parser.add_argument("--deep-pages", type=int, default=defaults.deep_pages)
    parser.add_argument(
        "--think",
        type=float,
        default=defaults.think,
        help="seconds each client pauses between requests (default 0: as fast as answered)",
    )
    parser.add_argument("--profile", default=defaults.profile, help="username, without @")
    parser.add_argument("--pid", type=int, help="the server's process id, to sample its RSS")
    parser.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="run only these (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0 or args.rounds < 1:
        parser.error("--clients and --rounds must be at least 1, --duration positive")
    return LoadOptions(
        base_url=args.base_url,
        clients=args.clients,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        password=args.password,
        first_user=args.first_user,
        deep_pages=args.deep_pages,
        think=args.think,
        profile=args.profile,
        pid=args.pid,
        scenarios=tuple(args.scenario or ()),
    )


def _run(coroutine: Coroutine[Any, Any, list[Result]]) -> list[Result]:
    """On uvloop when installed (uvicorn's extra brings it): a cheaper client leaves more of
    this machine's cores to the server it measures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    load_before = os.getloadavg()[0]
    try:
        results = _run(run_load(options))
    except SetupError as error:
        print(f"bench.load: {error}", file=sys.stderr)
        return 2
    except httpx.HTTPError as error:
        print(f"bench.load: cannot reach {options.base_url}: {error!r}", file=sys.stderr)
        return 2
    print(format_report(results, options, (load_before, os.getloadavg()[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
