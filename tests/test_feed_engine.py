"""The feed engine on real Redis and Postgres: fan-out, timelines, the outbox, the fragment
cache, and what happens when Redis is away."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, cast

import pytest
import redis.asyncio
from httpx import AsyncClient
from litestar import Litestar
from redis.exceptions import RedisError
from saq import Queue, Worker
from saq.queue.redis import RedisQueue

from domain import accounts, feeds, posts, social, timelines
from domain.accounts import User
from domain.core import outbox, redis_guard
from domain.core.outbox import OutboxMessage
from domain.core.redis_guard import TIMEOUTS_TO_OPEN, GuardedRedis
from domain.core.settings import get_settings
from domain.feeds import FRAGMENT_HITS, FRAGMENT_MISSES
from tasks import worker
from tasks.cache_warming import warm_cache
from tasks.outbox_relay import relay_outbox
from tasks.timeline_jobs import fan_out_post, retract_post
from tests.conftest import TEST_REDIS_URL, http_client, serve_app
from tests.helpers import NO_CONTEXT, PASSWORD, log_in, worker_functions, write_post

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def guard() -> GuardedRedis:
    active = redis_guard.active()
    assert active is not None, "the app under test sets up Redis"
    return active


async def user(username: str) -> User:
    found = await accounts.find_user(username)
    assert found is not None
    return found


async def timeline(user_id: int) -> list[int]:
    # Members only (no scores), undecoded: bytes. redis-py types any ZRANGE reply as a union
    # that covers member-score pairs and decoded strings too.
    members = cast(
        list[bytes], await guard().client.zrevrange(timelines.timeline_key(user_id), 0, -1)
    )
    return [int(member) for member in members if member != b"0"]


async def test_a_new_post_reaches_warm_timelines_only(app: Litestar, members: Members) -> None:
    author = await members("author")
    warm_reader = await members("warm")
    await members("cold")
    for name in ("warm", "cold"):
        await social.follow(await user(name), (await user("author")).id)
    await warm_reader.get("/")  # the warm reader visits: their timeline is built
    post_id = await write_post(author, "fresh news")
    # Only the warm reader's: the author and the cold reader have no timeline in Redis.
    assert await fan_out_post(NO_CONTEXT, post_id=post_id) == 1
    assert await timeline((await user("warm")).id) == [post_id]
    assert not await guard().client.exists(timelines.timeline_key((await user("cold")).id))
    assert "fresh news" in (await warm_reader.get("/")).text
    ttl = await guard().client.ttl(timelines.timeline_key((await user("warm")).id))
    assert 13 * 86_400 < ttl <= 14 * 86_400


async def test_fan_out_is_idempotent_and_keeps_the_newest_800(
    app: Litestar, members: Members
) -> None:
    await members("reader")
    reader = await user("reader")
    await timelines.rebuild(guard(), reader.id)
    for post_id in range(1, 811):
        await timelines.push(guard(), post_id, [reader.id])
    await timelines.push(guard(), 810, [reader.id])
    kept = await timeline(reader.id)
    assert len(kept) == 800
    assert kept[0] == 810 and kept[-1] == 11


async def test_a_post_fanned_out_while_its_readers_timeline_is_rebuilt_is_kept(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the web-kill fault run once met: the rebuild reads PostgreSQL, a post is
    committed and fanned out before the rebuild stores what it read, and the fan-out found no
    timeline to push to. The post is kept aside for the rebuild and ends in the timeline."""
    await members("author")
    await members("reader")
    author, reader = await user("author"), await user("reader")
    await social.follow(reader, author.id)
    before = (await posts.publish(author, "before the rebuild")).id
    raced: list[int] = []
    read_home = timelines.store.home_post_ids

    async def read_then_race(*args: Any, **kwargs: Any) -> Any:
        page = await read_home(*args, **kwargs)  # the rebuild's read, before the post
        if not raced:
            raced.append((await posts.publish(author, "while it was read")).id)
            # Kept aside for the reader (the author, who never visited, has no timeline).
            assert await fan_out_post(NO_CONTEXT, post_id=raced[0]) == 1
        return page

    monkeypatch.setattr(timelines.store, "home_post_ids", read_then_race)
    rebuilt = await timelines.rebuild(guard(), reader.id)
    assert rebuilt is not None and rebuilt[0] == [before]
    assert await timeline(reader.id) == [raced[0], before]
    # Nothing is left behind: the flag and the posts kept aside are gone.
    assert await guard().client.keys(f"tl:{reader.id}:*") == [f"tl:{reader.id}:big".encode()]
    # Pushed from now on straight into the timeline.
    later = (await posts.publish(author, "after")).id
    await fan_out_post(NO_CONTEXT, post_id=later)
    assert await timeline(reader.id) == [later, raced[0], before]


async def test_a_rebuild_overtaken_by_a_change_of_follows_stores_nothing(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    await members("author")
    await members("reader")
    author, reader = await user("author"), await user("reader")
    await posts.publish(author, "not followed when the rebuild read")
    read_home = timelines.store.home_post_ids

    async def read_then_follow(*args: Any, **kwargs: Any) -> Any:
        page = await read_home(*args, **kwargs)
        await social.follow(reader, author.id)
        assert await timelines.forget(guard(), reader.id)  # as the follow's job does
        return page

    monkeypatch.setattr(timelines.store, "home_post_ids", read_then_follow)
    rebuilt = await timelines.rebuild(guard(), reader.id)
    assert rebuilt is not None and rebuilt[0] == []
    # The stale read was not stored: the next visit builds the timeline afresh.
    assert not await guard().client.exists(timelines.timeline_key(reader.id))
    monkeypatch.setattr(timelines.store, "home_post_ids", read_home)
    rebuilt = await timelines.rebuild(guard(), reader.id)
    assert rebuilt is not None and len(rebuilt[0]) == 1


async def test_a_follows_job_landing_while_a_later_rebuild_reads_leaves_it_to_store(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race a CI run met: a follow, then a visit that rebuilds the timeline, then the
    follow's job (refresh_timeline) while the rebuild reads. The rebuild began after the
    change and reads the new follows, so the job leaves it be; had it called the rebuild off,
    no timeline would be stored and the next posts' fan-out would skip the reader."""
    await members("author")
    await members("reader")
    author, reader = await user("author"), await user("reader")
    changed_ms = timelines.now_ms()
    await social.follow(reader, author.id)
    followed = (await posts.publish(author, "from someone followed")).id
    read_home = timelines.store.home_post_ids

    async def read_then_refresh(*args: Any, **kwargs: Any) -> Any:
        page = await read_home(*args, **kwargs)
        assert await timelines.forget(guard(), reader.id, changed_ms)  # the follow's job
        return page

    monkeypatch.setattr(timelines.store, "home_post_ids", read_then_refresh)
    rebuilt = await timelines.rebuild(guard(), reader.id)
    assert rebuilt is not None and rebuilt[0] == [followed]
    assert await timeline(reader.id) == [followed]
    later = (await posts.publish(author, "after")).id
    assert await fan_out_post(NO_CONTEXT, post_id=later) == 1
    assert await timeline(reader.id) == [later, followed]


async def test_a_follows_job_drops_a_timeline_built_before_the_change_and_keeps_one_after(
    app: Litestar, members: Members
) -> None:
    await members("author")
    await members("reader")
    author, reader = await user("author"), await user("reader")
    await posts.publish(author, "followed later")
    await timelines.rebuild(guard(), reader.id)
    await asyncio.sleep(0.002)  # the change comes a clock tick after the build
    changed_ms = timelines.now_ms()
    await social.follow(reader, author.id)
    await timelines.rebuild(guard(), reader.id)  # as a visit right after the follow does
    assert await timelines.forget(guard(), reader.id, changed_ms)
    assert len(await timeline(reader.id)) == 1  # built after the change: kept
    assert await timelines.forget(guard(), reader.id, timelines.now_ms() + 1_000)
    assert not await guard().client.exists(timelines.timeline_key(reader.id))
    assert await guard().client.keys(f"tl:{reader.id}*") == []


async def test_an_author_with_very_many_followers_is_merged_at_read_time(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANOUT_MAX_FOLLOWERS", "1")
    get_settings.cache_clear()
    try:
        star = await members("star")
        first_fan = await members("fan1")
        await members("fan2")
        for name in ("fan1", "fan2"):
            await social.follow(await user(name), (await user("star")).id)
        await first_fan.get("/")
        post_id = await write_post(star, "hello fans")
        # Not fanned out: fan1's warm timeline is left alone (the star's own is cold).
        assert await fan_out_post(NO_CONTEXT, post_id=post_id) == 0
        assert await timeline((await user("fan1")).id) == []
        assert "hello fans" in (await first_fan.get("/")).text
    finally:
        get_settings.cache_clear()


async def test_follow_unfollow_and_delete_show_at_once(app: Litestar, members: Members) -> None:
    author = await members("author")
    reader = await members("reader")
    post_id = await write_post(author, "before the follow")
    await reader.get("/")
    await social.follow(await user("reader"), (await user("author")).id)
    assert "before the follow" in (await reader.get("/")).text  # backfilled
    await social.unfollow(await user("reader"), (await user("author")).id)
    assert "before the follow" not in (await reader.get("/")).text
    await social.follow(await user("reader"), (await user("author")).id)
    assert "before the follow" in (await reader.get("/")).text
    await posts.delete_post(await user("author"), post_id)
    assert "before the follow" not in (await reader.get("/")).text


async def test_retract_removes_a_post_from_every_timeline(app: Litestar, members: Members) -> None:
    author = await members("author")
    reader = await members("reader")
    await social.follow(await user("reader"), (await user("author")).id)
    await reader.get("/")
    post_id = await write_post(author, "oops")
    await fan_out_post(NO_CONTEXT, post_id=post_id)
    await retract_post(NO_CONTEXT, post_id=post_id, author_id=(await user("author")).id)
    assert await timeline((await user("reader")).id) == []


async def test_paging_past_the_kept_timeline_falls_back_to_postgres(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timelines, "TIMELINE_SIZE", 25)
    reader = await members("reader")
    writer = await user("reader")
    for number in range(45):
        await posts.publish(writer, f"numbered {number}")
    await timelines.forget(guard(), writer.id)
    seen: list[str] = []
    page = await feeds.home_feed(writer.id)
    while True:
        seen += [card.text for card in page.cards]
        if page.next_cursor is None:
            break
        page = await feeds.home_feed(writer.id, page.next_cursor)
    assert seen == [f"numbered {number}" for number in range(44, -1, -1)]
    assert "numbered 44" in (await reader.get("/")).text


async def test_jobs_recorded_while_redis_is_down_go_out_when_it_returns(
    app: Litestar, members: Members
) -> None:
    author = await members("author")
    await write_post(author, "written during an outage")
    await asyncio.sleep(0.2)  # let the app's own relay finish with what it saw
    await OutboxMessage.insert(OutboxMessage(job="fan_out_post", payload={"post_id": 1}))
    dead = RedisQueue(redis.asyncio.Redis.from_url(UNREACHABLE_REDIS), name="agora")
    with pytest.raises((RedisError, OSError)):
        await relay_outbox(dead)
    assert await outbox.backlog() == 1
    live = Queue.from_url(TEST_REDIS_URL, name="agora-relay-test")
    try:
        assert await relay_outbox(live) == 1
        assert await outbox.backlog() == 0
        assert await live.count("queued") == 1
    finally:
        await live.disconnect()


async def test_a_real_worker_fans_out_what_the_outbox_relays(
    app: Litestar, members: Members
) -> None:
    author = await members("author")
    reader = await members("reader")
    await social.follow(await user("reader"), (await user("author")).id)
    await reader.get("/")
    # A worker on the app's own queue: the app relays its outbox there as it writes.
    running = Worker(queue=app.state.queue, functions=worker_functions(worker.settings))
    task = asyncio.create_task(running.start())
    try:
        post_id = await write_post(author, "through the worker")
        for _ in range(100):
            if await timeline((await user("reader")).id) == [post_id]:
                break
            await asyncio.sleep(0.05)
        assert await timeline((await user("reader")).id) == [post_id]
        assert await outbox.backlog() == 0
    finally:
        await running.stop()
        task.cancel()


async def test_fragments_are_cached_and_never_stale(app: Litestar, members: Members) -> None:
    author = await members("author")
    await write_post(author, "cache me")
    misses = FRAGMENT_MISSES._value.get()
    hits = FRAGMENT_HITS._value.get()
    await author.get("/explore")
    await author.get("/explore")
    assert FRAGMENT_MISSES._value.get() - misses == 1
    assert FRAGMENT_HITS._value.get() - hits == 1
    await accounts.save_profile(await user("author"), "Renamed Author", "")
    page = (await author.get("/explore")).text
    assert "Renamed Author" in page and ">Author<" not in page
    # Counts and the viewer's own state are never part of a cached fragment.
    await posts.favourite(await user("author"), 1)
    await posts.publish(await user("author"), "a comment", in_reply_to=posts.ReplyTarget(1))
    cached_page = (await author.get("/explore")).text
    assert '1<span class="visually-hidden"> like</span>' in cached_page
    assert '1<span class="visually-hidden"> comment</span>' in cached_page
    assert 'aria-pressed="true"><svg' in cached_page
    metrics = (await author.get("/metrics")).text
    assert "agora_fragment_cache_hits_total" in metrics
    assert "agora_queue_depth" in metrics and "agora_outbox_backlog" in metrics


async def test_the_warming_job_caches_busy_posts(app: Litestar, members: Members) -> None:
    author = await members("author")
    await write_post(author, "busy post")
    assert await warm_cache(NO_CONTEXT) == 1
    misses = FRAGMENT_MISSES._value.get()
    await author.get("/explore")
    assert FRAGMENT_MISSES._value.get() == misses


async def test_the_breaker_skips_a_dead_redis_after_one_failure() -> None:
    dead = GuardedRedis(redis.asyncio.Redis.from_url(UNREACHABLE_REDIS), 0.25, 30)
    assert await dead.call(lambda client: client.get("x")) is None
    assert dead.is_open
    assert await dead.pipeline(lambda pipe: pipe.get("x")) is None


@pytest.fixture
async def app_without_redis() -> AsyncIterator[Litestar]:
    settings = dataclasses.replace(get_settings(), redis_url=UNREACHABLE_REDIS)
    async with serve_app(settings) as application:
        yield application


async def test_with_redis_down_the_home_feed_is_right_and_nothing_is_lost(
    app_without_redis: Litestar,
) -> None:
    alice = await accounts.sign_up("alice", "Alice", PASSWORD)
    bob = await accounts.sign_up("bob", "Bob", PASSWORD)
    await social.follow(bob, alice.id)
    for number in range(22):
        await posts.publish(alice, f"outage post {number}")
    async with http_client(app_without_redis) as client:
        await log_in(client, "bob")
        home = await client.get("/")
        assert home.status_code == 200
        for number in range(2, 22):
            assert f"outage post {number}<" in home.text
        assert "Older posts" in home.text
        liked = await client.post("/posts/1/like", headers={"HX-Request": "true"}, data={})
        assert liked.status_code in (200, 403)  # 403 only for the missing CSRF token
    # Every job is still recorded, waiting for Redis to come back: 22 fan-outs, and the
    # follow's timeline refresh and notification.
    assert await outbox.backlog() == 24


@pytest.fixture(autouse=True)
def _no_leaked_guard() -> Iterator[None]:
    yield
    redis_guard.use(None)


@pytest.fixture
async def silent_redis() -> AsyncIterator[str]:
    """A server that accepts connections and never answers: a hung Redis, or one so slow
    that every call misses its deadline."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    server.close()
    for writer in held:
        writer.close()
    await server.wait_closed()


async def test_the_breaker_opens_after_missed_deadlines_in_a_row(silent_redis: str) -> None:
    hung = GuardedRedis(redis.asyncio.Redis.from_url(silent_redis), 0.05, 30)
    for _ in range(TIMEOUTS_TO_OPEN - 1):
        assert await hung.call(lambda client: client.get("x")) is None
        assert not hung.is_open
    assert await hung.call(lambda client: client.get("x")) is None
    assert hung.is_open
    await hung.client.aclose()


async def test_one_late_answer_on_a_busy_loop_does_not_open_the_breaker() -> None:
    tight = GuardedRedis(redis.asyncio.Redis.from_url(TEST_REDIS_URL), 0.05, 30)

    async def late(client: redis.asyncio.Redis) -> object:
        await asyncio.sleep(0.1)  # as a saturated event loop delays a call's resumption
        return await client.ping()

    for _ in range(TIMEOUTS_TO_OPEN * 2):
        assert await tight.call(late) is None
        assert await tight.call(lambda client: client.ping()) is True
    assert not tight.is_open
    await tight.client.aclose()
