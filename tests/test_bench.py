"""The benchmark suite: the seed builds a consistent skewed graph, the ceiling route is there only
when asked for, and the load driver runs every scenario against the real app."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
import uvicorn
from litestar import Litestar
from redis.asyncio import Redis

from bench.fanout import FanOutOptions, publish, wait_for_fan_out
from bench.fanout import format_report as format_fan_out
from bench.load import CEILING, SCENARIOS, LoadOptions, Result, format_report, run_load
from bench.seed import TABLES, DatabaseNotEmpty, SeedConfig, main, seed
from domain.accounts.passwords import verify_password
from domain.core.settings import get_settings
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, http_client, serve_app

SMALL = SeedConfig(users=50, posts=500)


@pytest.fixture
async def connection() -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        yield connection
    finally:
        await connection.close()


async def _count(connection: asyncpg.Connection, table: str) -> int:
    return int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))


async def _index_definitions(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch(
        "SELECT indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])", list(TABLES)
    )
    return {row["indexdef"] for row in rows}


async def test_seed_fills_every_table_with_the_asked_numbers(
    connection: asyncpg.Connection,
) -> None:
    indexes_before = await _index_definitions(connection)
    timings = await seed(connection, SMALL)

    assert await _count(connection, "agora_user") == 50
    assert await _count(connection, "post") == 500
    assert await _count(connection, "post_like") == SMALL.like_count == 500
    assert await _count(connection, "bookmark") == SMALL.bookmark_count == 25
    assert await _count(connection, "comment") == SMALL.comment_count == 100
    assert await _count(connection, "follow") > 50
    # The indexes dropped for the load are all back, exactly as the migrations made them.
    assert await _index_definitions(connection) == indexes_before
    assert "posts (500)" in timings.steps
    assert timings.total > 0


async def test_seeded_counters_match_real_counts(connection: asyncpg.Connection) -> None:
    await seed(connection, SMALL)

    wrong_users = await connection.fetch(
        """SELECT u.username FROM agora_user u
           WHERE u.posts_count <> (SELECT count(*) FROM post p WHERE p.author = u.id)
              OR u.followers_count <> (SELECT count(*) FROM follow f WHERE f.followed = u.id)
              OR u.following_count <> (SELECT count(*) FROM follow f WHERE f.follower = u.id)"""
    )
    assert wrong_users == []
    wrong_posts = await connection.fetch(
        """SELECT p.id FROM post p
           WHERE p.like_count <> (SELECT count(*) FROM post_like l WHERE l.post = p.id)
              OR p.comment_count <> (SELECT count(*) FROM comment c WHERE c.post = p.id)"""
    )
    assert wrong_posts == []
    # Counters that are all zero would pass the checks above too.
    assert await connection.fetchval("SELECT sum(like_count) FROM post") == 500
    assert await connection.fetchval("SELECT sum(followers_count) FROM agora_user") > 50


async def test_seeded_graph_is_skewed_and_ordered(connection: asyncpg.Connection) -> None:
    await seed(connection, SMALL)

    followers = await connection.fetch(
        "SELECT username, followers_count FROM agora_user ORDER BY followers_count DESC, id"
    )
    # user1 is the most followed (by everyone else, in a graph this small), and far above median.
    assert followers[0]["username"] == "user1"
    assert followers[0]["followers_count"] == 49
    assert followers[1]["followers_count"] < 49
    assert followers[len(followers) // 2]["followers_count"] < 49 // 3
    # Post ids increase with created_at: id order and time order are the same order.
    out_of_order = await connection.fetchval(
        """SELECT count(*) FROM (
             SELECT created_at, lag(created_at) OVER (ORDER BY id) AS previous FROM post
           ) t WHERE created_at <= previous"""
    )
    assert out_of_order == 0
    assert await connection.fetchval("SELECT max(created_at) < now() FROM post")


async def test_seeded_comments_reply_within_their_post_and_after_it(
    connection: asyncpg.Connection,
) -> None:
    await seed(connection, SMALL)

    replies = await connection.fetchval("SELECT count(*) FROM comment WHERE parent IS NOT NULL")
    assert replies > 0
    misplaced = await connection.fetchval(
        """SELECT count(*) FROM comment c JOIN comment parent ON parent.id = c.parent
           WHERE parent.post <> c.post OR c.created_at < parent.created_at"""
    )
    assert misplaced == 0
    too_early = await connection.fetchval(
        "SELECT count(*) FROM comment c JOIN post p ON p.id = c.post "
        "WHERE c.created_at < p.created_at"
    )
    assert too_early == 0


async def test_seeded_users_log_in_with_the_password_and_the_app_can_insert_after(
    connection: asyncpg.Connection,
) -> None:
    await seed(connection, dataclasses.replace(SMALL, password="another-bench-pass"))

    password_hash = await connection.fetchval(
        "SELECT password_hash FROM agora_user WHERE username = 'user7'"
    )
    assert verify_password(password_hash, "another-bench-pass")
    assert not verify_password(password_hash, "bench-password")
    # The sequences were moved past the copied ids, so default ids do not collide.
    new_user = await connection.fetchval(
        "INSERT INTO agora_user (username, display_name, password_hash) "
        "VALUES ('late', 'Late', 'x') RETURNING id"
    )
    new_post = await connection.fetchval(
        "INSERT INTO post (author, text) VALUES ($1, 'hello') RETURNING id", new_user
    )
    assert (new_user, new_post) == (51, 501)


async def test_seed_refuses_a_database_with_users_unless_reset(
    connection: asyncpg.Connection,
) -> None:
    await seed(connection, SMALL)
    with pytest.raises(DatabaseNotEmpty):
        await seed(connection, SMALL)
    assert await _count(connection, "post") == 500  # the refused run changed nothing
    # The command line says so and exits 2 (it runs its own event loop, hence the thread).
    assert await asyncio.to_thread(main, ["--users", "5", "--posts", "5"]) == 2

    await connection.execute(
        'INSERT INTO user_session (token_hash, "user", expires_at) '
        "VALUES ('old', 1, now() + interval '1 day')"
    )
    await seed(connection, dataclasses.replace(SMALL, posts=300), reset=True)
    assert await _count(connection, "post") == 300
    assert await _count(connection, "user_session") == 0  # nothing left pointing at old rows
    assert await connection.fetchval("SELECT min(id) FROM post") == 1


async def test_ceiling_route_serves_a_feed_sized_page_only_when_enabled() -> None:
    enabled = dataclasses.replace(get_settings(), bench_routes=True)
    async with serve_app(enabled) as application, http_client(application) as client:
        response = await client.get("/_bench/ceiling")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.count('<article class="post"') == 20
    assert "<footer" in response.text  # rendered through the base layout like every page
    assert 20_000 < len(response.content) < 80_000

    disabled = dataclasses.replace(get_settings(), bench_routes=False)
    async with serve_app(disabled) as application, http_client(application) as client:
        assert (await client.get("/_bench/ceiling")).status_code == 404


@asynccontextmanager
async def listening(application: Litestar) -> AsyncIterator[str]:
    """The app behind uvicorn on a free port of this machine, as the Procfile runs it; the load
    measures over real keep-alive sockets."""
    listener = socket.create_server(("127.0.0.1", 0))  # connections queue until uvicorn is up
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


async def test_load_runs_every_scenario_against_the_app(connection: asyncpg.Connection) -> None:
    await seed(connection, SMALL)
    enabled = dataclasses.replace(get_settings(), bench_routes=True)
    async with serve_app(enabled) as application, listening(application) as base_url:
        options = LoadOptions(
            base_url=base_url,
            clients=2,
            duration=0.4,
            rounds=2,
            warmup=0.1,
            think=0.01,
            pid=os.getpid(),  # the server runs in this process
        )
        results = await run_load(options, progress=lambda _: None)

    assert [result.name for result in results] == list(SCENARIOS)
    for result in results:
        assert not result.skipped, f"{result.name}: {result.skipped}"
        assert result.errors == {}, f"{result.name}: {result.errors}"
        assert result.latencies, result.name
        assert result.seconds >= options.duration  # both rounds counted, warm-ups not
        assert result.max_rss_kib and result.server_cpu_per_request, result.name
    # The like toggle went through the app's real endpoint and kept the counter right.
    drifted = await connection.fetchval(
        """SELECT count(*) FROM post p
           WHERE p.like_count <> (SELECT count(*) FROM post_like l WHERE l.post = p.id)"""
    )
    assert drifted == 0
    report = format_report(results, options)
    assert all(name in report for name in SCENARIOS)
    targets = {result.name: result.target for result in results}
    assert targets["profile"] == "GET /@user1"
    assert targets["home deep page"].startswith("GET /?cursor=")
    assert " comments)" in targets["post + comments"]
    assert report.splitlines()[3].startswith(CEILING)
    with_load = format_report(results, options, (1.5, 2.25))
    assert "load average (1 min), start -> end: 1.50 -> 2.25" in with_load


def test_percentiles_use_the_nearest_rank() -> None:
    result = Result("x", latencies=[float(n) for n in range(100, 0, -1)])
    assert result.percentile(0.50) == 50.0
    assert result.percentile(0.99) == 99.0
    assert result.percentile(1.0) == 100.0
    assert Result("empty").percentile(0.5) is None


async def test_fan_out_timer_records_each_timeline_as_the_post_arrives() -> None:
    redis = Redis.from_url(TEST_REDIS_URL)
    keys = ["bench:tl:1", "bench:tl:2", "bench:tl:3"]
    await redis.zadd(keys[0], {"77": 77})  # already there when polling starts

    async def arrive_later() -> None:
        await asyncio.sleep(0.15)
        await redis.zadd(keys[1], {"77": 77})

    sent = time.perf_counter()
    late = asyncio.create_task(arrive_later())
    arrivals = await wait_for_fan_out(redis, keys, 77, sent, give_up_after=0.6, interval=0.01)
    await late
    await redis.aclose()

    assert len(arrivals.seconds) == 2 and arrivals.missing == 1  # keys[2] never got it
    assert arrivals.seconds[0] < 0.1
    assert 0.15 <= arrivals.seconds[1] < 0.5
    assert arrivals.quantile(0.5) == arrivals.seconds[1]
    assert arrivals.quantile(1.0) is None
    report = format_fan_out(FanOutOptions(timeout=0.6), 3, (0, 0.0), 77, arrivals)
    assert "NOT met" in report and "missing after 0.6 s: 1" in report


async def test_fan_out_posts_through_the_compose_form_as_the_author(
    connection: asyncpg.Connection,
) -> None:
    await seed(connection, SMALL)
    async with serve_app() as application, listening(application) as base_url:
        post_id, _sent = await publish(FanOutOptions(base_url=base_url), "fan-out probe")
    author = await connection.fetchval(
        "SELECT u.username FROM post p JOIN agora_user u ON u.id = p.author"
        " WHERE p.id = $1 AND p.text = 'fan-out probe'",
        post_id,
    )
    assert author == "user1"
