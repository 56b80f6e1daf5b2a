"""Time a post's fan-out: how long until it is in every follower's home timeline in Redis.

    python -m bench.fanout --base-url http://127.0.0.1:8000 --author user1

Like bench.load it starts nothing: the web server and one worker (the Procfile's `web` and
`worker` lines) must be running, and DATABASE_URL and REDIS_URL must name the same database and
Redis as theirs. Fan-out only feeds timelines that exist (a reader who has not visited for a
while gets theirs rebuilt on the next visit), so first every follower's timeline is built the way
a visit builds it. Then the author publishes through the real compose form, and Redis is polled
until the post is in every follower's timeline, or the time-out passes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from bench.load import SetupError, log_in
from domain.core.redis_guard import GuardedRedis
from domain.core.settings import get_settings
from domain.timelines import rebuild, timeline_key
from piccolo_conf import DB

TARGET_SECONDS = 2.0  # issue 4: in all 5,000 followers' timelines within 2 s, one worker


@dataclass(frozen=True)
class FanOutOptions:
    base_url: str = "http://127.0.0.1:8000"
    author: str = "user1"
    password: str = "bench-password"
    timeout: float = 10.0
    interval: float = 0.02  # seconds between polls of Redis


@dataclass
class Arrivals:
    """When the post reached each timeline, in seconds after the compose form was sent."""

    seconds: list[float] = field(default_factory=list)
    missing: int = 0

    def share_within(self, limit: float) -> float:
        total = len(self.seconds) + self.missing
        return sum(1 for value in self.seconds if value <= limit) / total if total else 1.0

    def quantile(self, share: float) -> float | None:
        """Time by which `share` of all timelines had the post; None if some never did."""
        total = len(self.seconds) + self.missing
        if total == 0:
            return 0.0
        needed = max(1, round(share * total))
        ordered = sorted(self.seconds)
        return ordered[needed - 1] if needed <= len(ordered) else None


async def follower_ids(database_url: str, username: str) -> list[int]:
    connection = await asyncpg.connect(database_url)
    try:
        author = await connection.fetchval(
            "SELECT id FROM agora_user WHERE lower(username) = lower($1)", username
        )
        if author is None:
            raise SetupError(f"no user {username!r}: seed the database with bench.seed first")
        rows = await connection.fetch("SELECT follower FROM follow WHERE followed = $1", author)
    finally:
        await connection.close()
    return [row["follower"] for row in rows]


async def warm_timelines(redis: Redis, user_ids: list[int], concurrency: int = 8) -> int:
    """Build the missing timelines as a visit would; returns how many had to be built."""
    async with redis.pipeline(transaction=False) as pipe:
        for user_id in user_ids:
            pipe.exists(timeline_key(user_id))
        present = await pipe.execute()
    missing = [user_id for user_id, exists in zip(user_ids, present, strict=True) if not exists]
    guard = GuardedRedis(redis, timeout_seconds=5.0, retry_seconds=0.0)
    limit = asyncio.Semaphore(concurrency)

    async def build(user_id: int) -> None:
        async with limit:
            if await rebuild(guard, user_id) is None:
                raise SetupError(f"could not build the timeline of user {user_id} in Redis")

    await DB.start_connection_pool(min_size=1, max_size=concurrency)
    try:
        await asyncio.gather(*(build(user_id) for user_id in missing))
    finally:
        await DB.close_connection_pool()
    return len(missing)


async def publish(options: FanOutOptions, text: str) -> tuple[int, float]:
    """Post as the author through the compose form; returns the post id and when it was sent."""
    async with httpx.AsyncClient(base_url=options.base_url, timeout=30.0) as client:
        csrf = await log_in(client, options.author, options.password)
        sent = time.perf_counter()
        response = await client.post("/posts", data={"text": text, "_csrf_token": csrf})
    location = response.headers.get("location", "")
    post_id = location.rsplit("-", 1)[-1]
    if response.status_code != 303 or not post_id.isdigit():
        raise SetupError(f"posting answered {response.status_code} {location!r}, not a new post")
    return int(post_id), sent


async def wait_for_fan_out(
    redis: Redis,
    keys: Sequence[str],
    post_id: int,
    sent: float,
    give_up_after: float,
    interval: float,
) -> Arrivals:
    """Poll every timeline (one pipelined round trip per poll) until all hold the post."""
    arrivals = Arrivals()
    pending = list(keys)
    while pending and time.perf_counter() - sent < give_up_after:
        async with redis.pipeline(transaction=False) as pipe:
            for key in pending:
                pipe.zscore(key, str(post_id))
            scores = await pipe.execute()
        now = time.perf_counter() - sent
        arrivals.seconds += [now for score in scores if score is not None]
        pending = [key for key, score in zip(pending, scores, strict=True) if score is None]
        if pending:
            await asyncio.sleep(interval)
    arrivals.missing = len(pending)
    return arrivals


def format_report(
    options: FanOutOptions,
    followers: int,
    built: tuple[int, float],
    post_id: int,
    arrivals: Arrivals,
) -> str:
    def shown(value: float | None) -> str:
        return "never" if value is None else f"{value * 1000:.0f} ms"

    all_in = arrivals.quantile(1.0)
    verdict = "met" if all_in is not None and all_in <= TARGET_SECONDS else "NOT met"
    return "\n".join(
        [
            f"post {post_id} by {options.author}, {followers:,} followers "
            f"({built[0]:,} missing timelines built first, in {built[1]:.1f} s)",
            f"in 50% of timelines after {shown(arrivals.quantile(0.5))}, "
            f"99% after {shown(arrivals.quantile(0.99))}, all after {shown(all_in)}",
            f"within {TARGET_SECONDS:g} s: {arrivals.share_within(TARGET_SECONDS):.1%} "
            f"(target: all, {verdict}); missing after {options.timeout:g} s: {arrivals.missing}",
        ]
    )


async def run_fan_out(options: FanOutOptions) -> str:
    settings = get_settings()
    followers = await follower_ids(settings.database_url, options.author)
    redis: Any = Redis.from_url(settings.redis_url)
    try:
        print(f"building the missing timelines of {len(followers):,} followers ...", flush=True)
        started = time.perf_counter()
        built = (await warm_timelines(redis, followers), time.perf_counter() - started)
        post_id, sent = await publish(options, f"Fan-out probe at {time.time():.0f} #bench")
        keys = [timeline_key(user_id) for user_id in followers]
        arrivals = await wait_for_fan_out(
            redis, keys, post_id, sent, options.timeout, options.interval
        )
    finally:
        await redis.aclose()
    return format_report(options, len(followers), built, post_id, arrivals)


def parse_args(argv: Sequence[str] | None = None) -> FanOutOptions:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description="Time one post's fan-out."
    )
    defaults = FanOutOptions()
    parser.add_argument("--base-url", default=defaults.base_url)
    parser.add_argument("--author", default=defaults.author, help="username, without @")
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds")
    args = parser.parse_args(argv)
    return FanOutOptions(
        base_url=args.base_url, author=args.author, password=args.password, timeout=args.timeout
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        print(asyncio.run(run_fan_out(options)))
    except SetupError as error:
        print(f"bench.fanout: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
