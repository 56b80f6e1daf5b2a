"""Live streams under load: `python -m bench.streams` holds idle Server-Sent Events streams
and WebSockets open on one running web process and measures what they cost.

1. The home page's load (bench.load's "home page 1" scenario) with no stream open.
2. `--sse` idle streams (`/api/v1/streaming/user`) and `--ws` idle WebSockets (`stream=user`)
   are opened; the server's resident memory before and after gives the memory per connection.
3. The home page's load again, while a probe posts every `--probe-interval` seconds and times
   each post from the API's answer (the change is committed by then) to its `update` on the
   poster's own stream: p50 and p99 of commit to delivery.

It needs a seeded database (bench.seed: the users log in with its password), the server
started with the log-in limits raised (bench/README.md), a worker, and enough file
descriptors for the connections on both sides (`ulimit -n`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import websockets

from bench.load import LoadOptions, Result, rss_kib, run_load

HOME = "home page 1"
SCOPES = "read write"


@dataclass(frozen=True)
class StreamOptions:
    base_url: str = "http://127.0.0.1:8000"
    pid: int | None = None
    sse: int = 1000
    ws: int = 200
    clients: int = 16
    duration: float = 10.0
    password: str = "bench-password"
    stream_users: int = 10  # idle streams are spread over user<first> ... tokens
    first_stream_user: int = 1001
    probe_user: int = 1999
    probe_interval: float = 0.25


@dataclass
class Figures:
    rss_before_kib: int | None = None
    rss_after_kib: int | None = None
    opened: int = 0
    failed: int = 0
    delivery: list[float] = field(default_factory=list)
    lost: int = 0
    without: Result | None = None
    with_streams: Result | None = None


async def token(client: httpx.AsyncClient, username: str, password: str) -> str:
    """An access token by the password grant, for a fresh app."""
    app = (
        await client.post(
            "/api/v1/apps",
            data={
                "client_name": "bench",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": SCOPES,
            },
        )
    ).json()
    answer = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": username,
            "password": password,
            "scope": SCOPES,
        },
    )
    answer.raise_for_status()
    access: str = answer.json()["access_token"]
    return access


async def open_sse(base_url: str, access: str) -> asyncio.StreamWriter:
    """One idle stream on a raw socket: sent, answered, then only drained."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    writer.write(
        (
            f"GET /api/v1/streaming/user HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {access}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    asyncio.get_running_loop().create_task(_drain(reader))
    return writer


async def _drain(reader: asyncio.StreamReader) -> None:
    with suppress(OSError, asyncio.CancelledError):
        while await reader.read(4096):
            pass


async def open_ws(base_url: str, access: str) -> websockets.ClientConnection:
    url = base_url.replace("http", "ws", 1) + f"/api/v1/streaming?stream=user&access_token={access}"
    socket = await websockets.connect(url, max_queue=None)
    return socket


async def probe(
    client: httpx.AsyncClient, access: str, until: float, interval: float, figures: Figures
) -> None:
    """Post, and time each post's `update` on the poster's own stream from the answer."""
    answered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {access}"}
    async with client.stream(
        "GET", "/api/v1/streaming/user", headers=headers, timeout=None
    ) as response:
        lines = response.aiter_lines()
        await anext(lines)  # the greeting: subscribed

        async def listen() -> None:
            event = ""
            async for line in lines:
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "update":
                    status_id = json.loads(line[5:])["id"]
                    if status_id in answered:
                        figures.delivery.append(time.perf_counter() - answered.pop(status_id))

        listener = asyncio.create_task(listen())
        number = 0
        while time.perf_counter() < until:
            number += 1
            posted = await client.post(
                "/api/v1/statuses", headers=headers, data={"status": f"probe {number}"}
            )
            answered[posted.json()["id"]] = time.perf_counter()
            await asyncio.sleep(interval)
        await asyncio.sleep(2)  # the last ones' deliveries
        listener.cancel()
        figures.lost = len(answered)


def _load_options(options: StreamOptions) -> LoadOptions:
    return LoadOptions(
        base_url=options.base_url,
        clients=options.clients,
        duration=options.duration,
        password=options.password,
        pid=options.pid,
        scenarios=(HOME,),
    )


def _home(results: Sequence[Result]) -> Result:
    return next(result for result in results if result.name == HOME)


async def run_streams(options: StreamOptions, say: Callable[[str], None] = print) -> Figures:
    """Run the three steps; the figures for `format_report`."""
    figures = Figures()
    say("the home page without streams")
    figures.without = _home(await run_load(_load_options(options), say))
    async with httpx.AsyncClient(base_url=options.base_url, timeout=30) as client:
        tokens = [
            await token(client, f"user{options.first_stream_user + n}", options.password)
            for n in range(options.stream_users)
        ]
        probe_token = await token(client, f"user{options.probe_user}", options.password)
        figures.rss_before_kib = rss_kib(options.pid) if options.pid else None
        say(f"opening {options.sse} streams and {options.ws} WebSockets")
        writers, sockets = [], []
        for n in range(options.sse):
            try:
                writers.append(await open_sse(options.base_url, tokens[n % len(tokens)]))
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                figures.failed += 1
        for n in range(options.ws):
            try:
                sockets.append(await open_ws(options.base_url, tokens[n % len(tokens)]))
            except (OSError, websockets.exceptions.WebSocketException):
                figures.failed += 1
        figures.opened = len(writers) + len(sockets)
        await asyncio.sleep(3)
        figures.rss_after_kib = rss_kib(options.pid) if options.pid else None
        say("the home page with them open, and the probe")
        until = time.perf_counter() + options.duration * 2
        probing = asyncio.create_task(
            probe(client, probe_token, until, options.probe_interval, figures)
        )
        figures.with_streams = _home(await run_load(_load_options(options), say))
        await probing
        for writer in writers:
            writer.close()
        for socket in sockets:
            await socket.close()
    return figures


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def format_report(figures: Figures) -> str:
    lines = [f"connections open: {figures.opened} ({figures.failed} failed to open)"]
    if figures.rss_before_kib is not None and figures.rss_after_kib is not None and figures.opened:
        per = (figures.rss_after_kib - figures.rss_before_kib) / figures.opened
        lines.append(
            f"server RSS: {figures.rss_before_kib / 1024:.1f} MiB before, "
            f"{figures.rss_after_kib / 1024:.1f} MiB with them open: {per:.1f} KiB per connection"
        )
    p50, p99 = _percentile(figures.delivery, 0.5), _percentile(figures.delivery, 0.99)
    if p50 is not None and p99 is not None:
        lines.append(
            f"commit to delivery: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms over "
            f"{len(figures.delivery)} posts ({figures.lost} not delivered)"
        )
    if figures.without and figures.with_streams:
        before, after = (
            figures.without.requests_per_second,
            figures.with_streams.requests_per_second,
        )
        ratio = after / before if before else 0.0
        lines.append(
            f"home page: {before:.0f} req/s without streams, {after:.0f} req/s with them: "
            f"ratio {ratio:.2f}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> StreamOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.streams", description=__doc__)
    defaults = StreamOptions()
    parser.add_argument("--base-url", default=defaults.base_url)
    parser.add_argument("--pid", type=int, default=None, help="the server's, for its memory")
    parser.add_argument("--sse", type=int, default=defaults.sse)
    parser.add_argument("--ws", type=int, default=defaults.ws)
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--duration", type=float, default=defaults.duration)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--first-stream-user", type=int, default=defaults.first_stream_user)
    parser.add_argument("--probe-user", type=int, default=defaults.probe_user)
    args = parser.parse_args(argv)
    return StreamOptions(
        base_url=args.base_url.rstrip("/"),
        pid=args.pid,
        sse=args.sse,
        ws=args.ws,
        clients=args.clients,
        duration=args.duration,
        password=args.password,
        first_stream_user=args.first_stream_user,
        probe_user=args.probe_user,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(format_report(asyncio.run(run_streams(options))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
