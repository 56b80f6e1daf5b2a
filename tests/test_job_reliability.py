"""Jobs that meet an outage: back-off with jitter, no attempts burnt while the Redis breaker
is open, the dead-letter record and its "Run again", and an outbox relay that outlives lost
PostgreSQL connections, all against real PostgreSQL and Redis (and a PostgreSQL of the
test's own, stopped and started under a running web process)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from glob import glob
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest
from httpx import AsyncClient
from litestar import Litestar
from saq import Queue, Worker
from saq.job import Status
from saq.queue.redis import RedisQueue
from saq.types import PartialTimersDict
from saq.utils import now as saq_now

from domain import accounts, posts, social, timelines
from domain.accounts import User
from domain.core import database, dead_letters, outbox, redis_guard
from domain.core.dead_letters import DeadLetter
from domain.core.errors import NotFound
from domain.core.outbox import Job, OutboxMessage
from domain.core.redis_guard import GuardedRedis, create_redis
from domain.core.settings import get_settings
from piccolo_conf import DB
from tasks import outages, worker
from tasks.job_outcomes import QuietConnectionErrors, after_process, before_process
from tasks.outbox_relay import relay_outbox, send_messages
from tasks.queue import (
    JOB_ATTEMPTS,
    JOB_HEARTBEAT_SECONDS,
    JOB_TIMEOUT_SECONDS,
    RELAY_LEASE_SECONDS,
    RETRY_BASE_SECONDS,
    RETRY_CAP_SECONDS,
    SWEEP_SECONDS,
    WorkerContext,
    create_queue,
)
from tests.browser.conftest import free_port, start_web
from tests.conftest import (
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    run_async,
    run_release,
    serve_app,
)
from tests.helpers import PASSWORD, post_form, relayed_rows, running_relay, worker_functions

pytestmark = pytest.mark.serial

Members = Callable[[str], Coroutine[Any, Any, AsyncClient]]
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


async def eventually(check: Callable[[], Coroutine[Any, Any, bool]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_worker(queue: Queue) -> AsyncIterator[Worker[WorkerContext]]:
    """A real SAQ worker on `queue` with the production job hooks."""
    running = Worker(
        queue=queue,
        functions=worker_functions(worker.settings),
        before_process=before_process,
        after_process=after_process,
    )
    task = asyncio.create_task(running.start())
    try:
        yield running
    finally:
        await running.stop()
        task.cancel()


@asynccontextmanager
async def redis_guard_in_use(guard: GuardedRedis) -> AsyncIterator[GuardedRedis]:
    previous = redis_guard.active()
    redis_guard.use(guard)
    try:
        yield guard
    finally:
        redis_guard.use(previous)


def live_guard(retry_seconds: float) -> GuardedRedis:
    return GuardedRedis(create_redis(get_settings()), 1.0, retry_seconds)


def dead_guard(retry_seconds: float) -> GuardedRedis:
    settings = dataclasses.replace(get_settings(), redis_url=UNREACHABLE_REDIS)
    return GuardedRedis(create_redis(settings), 0.25, retry_seconds)


async def a_post(username: str) -> tuple[User, int]:
    """A new post whose author's home timeline is warm in Redis (so fan-out has somewhere
    to go), with the fan-out job it recorded already out of the outbox and not queued."""
    author = await accounts.sign_up(username, username.title(), PASSWORD)
    post = await posts.publish(author, f"a post by {username}")
    await OutboxMessage.delete(force=True)
    redis = create_redis(get_settings())
    try:
        await redis.flushdb()
        await redis.zadd(timelines.timeline_key(author.id), {timelines.SENTINEL: -1})
    finally:
        await redis.aclose()
    return author, post.id


async def in_timeline(user_id: int, post_id: int) -> bool:
    redis = create_redis(get_settings())
    try:
        ids = await redis.zrange(timelines.timeline_key(user_id), 0, -1)
    finally:
        await redis.aclose()
    return str(post_id).encode() in ids


# Retries with back-off and jitter


async def test_relayed_jobs_get_many_attempts_with_jittered_exponential_backoff() -> None:
    await outbox.record(Job.NOTIFY, kind="follow", actor_id=1, user_id=2)
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-policy-test")
    try:
        assert await relay_outbox(queue) == 1
        job = await queue.job("outbox-1")
    finally:
        await queue.disconnect()
    # The job names its rows; the worker reads their payloads from the outbox.
    assert job is not None and job.kwargs == {"message_ids": [1]}
    assert (job.retries, job.retry_delay, job.retry_backoff) == (
        JOB_ATTEMPTS,
        RETRY_BASE_SECONDS,
        RETRY_CAP_SECONDS,
    )
    ceilings = []
    for attempts in range(1, JOB_ATTEMPTS):
        job.attempts = attempts
        ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
        delays = [job.next_retry_delay() for _ in range(200)]
        # Full jitter: anywhere from nothing to the ceiling, so a herd of jobs failed by one
        # outage comes back spread out rather than all at once.
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) - min(delays) > ceiling / 2
        ceilings.append(ceiling)
    assert ceilings[:4] == [1, 2, 4, 8] and ceilings[-1] == RETRY_CAP_SECONDS
    # The retries outlast far more than the 20 s outage of the issue: minutes on average.
    assert sum(ceilings) / 2 > 5 * 60


# Not attempted while the breaker is open


async def test_a_job_waits_for_an_open_breaker_rather_than_failing_an_attempt() -> None:
    author, post_id = await a_post("ada")
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-breaker-test")
    async with redis_guard_in_use(live_guard(retry_seconds=1.0)) as guard:
        # A failed call opens the breaker, as when Redis has just come back from an outage.
        await guard.call(lambda client: client.execute_command("NO-SUCH-COMMAND"))  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        assert guard.is_open
        key, message_ids = await relayed_rows(Job.FAN_OUT_POST, {"post_id": post_id})
        async with running_worker(queue):
            job = await queue.enqueue(
                "fan_out_post", key=key, retries=2, timeout=10, message_ids=message_ids
            )
            assert job is not None
            await job.refresh(until_complete=10)
    await queue.disconnect()
    assert job.status == Status.COMPLETE
    assert job.attempts == 1
    assert job.result == 1
    assert await in_timeline(author.id, post_id)
    assert await dead_letters.count() == 0


async def test_a_job_started_while_the_breaker_is_closed_does_not_wait() -> None:
    guard = live_guard(retry_seconds=30.0)
    started = time.monotonic()
    await guard.wait_until_closed()
    assert time.monotonic() - started < 0.05
    assert guard.seconds_until_retry == 0.0


# The dead-letter record


async def test_a_job_failing_every_attempt_is_dead_lettered_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tasks.job_outcomes")

    def outcome_lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "tasks.job_outcomes"]

    key, message_ids = await relayed_rows(Job.NOTIFY, {"kind": "no-such-event", "post_id": 7})
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-dead-letter-test")
    async with running_worker(queue):
        job = await queue.enqueue(
            "notify",
            key=key,
            retries=3,
            retry_delay=0.05,
            retry_backoff=0.2,
            timeout=10,
            message_ids=message_ids,
        )
        assert job is not None

        async def settled() -> bool:
            # The last line is logged after the dead letter is recorded: stopping the worker
            # between the two would cancel the hook before it logs.
            return await _has_dead_letters(1) and len(outcome_lines()) == 3

        await eventually(settled, seconds=15)
    await queue.disconnect()
    [letter] = await dead_letters.page()
    assert (letter.job, letter.key, letter.payload, letter.attempts) == (
        "notify",
        key,
        {"kind": "no-such-event", "post_id": 7},
        3,
    )
    assert "Traceback" in letter.error
    assert letter.summary == "ValueError: not a notification event: no-such-event"
    # Its outbox row went with it: the relay will not send it again.
    assert await outbox.unfinished() == 0
    lines = outcome_lines()
    assert len(lines) == 3, lines
    pattern = rf"job notify {key} {{}} in \d+ ms \(attempt {{}} of 3\): ValueError"
    assert re.match(pattern.format("retrying", 1), lines[0])
    assert re.match(pattern.format("retrying", 2), lines[1])
    assert re.match(pattern.format("dead-lettered", 3), lines[2])


async def _has_dead_letters(count: int) -> bool:
    return await dead_letters.count() == count


async def test_a_job_failing_while_redis_stays_away_is_dead_lettered_then_run_again(
    app: Litestar, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each attempt rides out an outage this long before it fails (tasks.outages).
    monkeypatch.setattr(outages, "OUTAGE_WAIT_SECONDS", 0.3)
    staff = await members("mod")
    await User.update({User.role: "moderator"}).where(User.username == "mod")
    author, post_id = await a_post("bea")
    queue: RedisQueue = app.state.queue
    key, message_ids = await relayed_rows(Job.FAN_OUT_POST, {"post_id": post_id})
    # The worker's Redis is away (the queue's is not, or nothing could be dequeued).
    async with redis_guard_in_use(dead_guard(retry_seconds=0.1)), running_worker(queue):
        await queue.enqueue(
            "fan_out_post",
            key=key,
            retries=3,
            retry_delay=0.05,
            retry_backoff=0.1,
            timeout=10,
            message_ids=message_ids,
        )
        await eventually(lambda: _has_dead_letters(1), seconds=20)
    [letter] = await dead_letters.page()
    assert (letter.job, letter.payload, letter.attempts) == (
        "fan_out_post",
        {"post_id": post_id},
        3,
    )
    assert "RedisUnavailable" in letter.summary

    metrics = (await staff.get("/metrics")).text
    assert "agora_dead_letters 1.0" in metrics
    page = await staff.get("/admin/jobs")
    assert page.status_code == 200
    assert "fan_out_post" in page.text and "RedisUnavailable" in page.text
    assert f'action="/admin/jobs/{letter.id}/run-again"' in page.text

    # Redis is back: "Run again" moves it into the outbox; the app relays it, a worker runs it.
    async with running_worker(queue):
        ran = await post_form(staff, f"/admin/jobs/{letter.id}/run-again", {})
        assert ran.status_code == 303
        assert ran.headers["location"] == "/admin/jobs?ran=fan_out_post"
        assert await dead_letters.count() == 0

        await eventually(lambda: in_timeline(author.id, post_id), seconds=10)
    confirmation = await staff.get(ran.headers["location"])
    assert "Sent a <code>fan_out_post</code> job back to the queue." in confirmation.text
    assert "No failed jobs." in confirmation.text
    assert "agora_dead_letters 0.0" in (await staff.get("/metrics")).text
    # Running it again a second time (a double click, a stale page) is a clear 404.
    again = await post_form(staff, f"/admin/jobs/{letter.id}/run-again", {})
    assert again.status_code == 404
    assert "already run again" in again.text


# The outbox row's life: kept until its job is done, handed over again after the lease


async def resend(queue: Queue) -> int:
    """One relay with the lease already run out for every relayed row."""
    return await outbox.relay(lambda messages: send_messages(queue, messages), lease_seconds=0.0)


async def test_a_relayed_row_stays_until_its_job_is_done_and_a_lost_job_is_queued_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tasks.outbox_relay")
    await outbox.record(Job.NOTIFY, kind="follow", actor_id=1, user_id=2)
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-lease-test")
    try:
        assert await relay_outbox(queue) == 1
        assert (await outbox.backlog(), await outbox.unfinished()) == (0, 1)
        # Within the lease the row is not handed over again; the relay knows when it will be.
        assert await relay_outbox(queue) == 0
        due = await outbox.seconds_until_due(RELAY_LEASE_SECONDS)
        assert due is not None and 0 < due <= RELAY_LEASE_SECONDS
        # Past the lease, its job still queued: looked up, left alone, not queued twice.
        assert await resend(queue) == 1
        assert await queue.count("queued") == 1
        assert await outbox.unfinished() == 1
        # Redis comes back empty: the job is queued again under the same key.
        await cast(RedisQueue, queue).redis.flushdb()
        assert await resend(queue) == 1
        job = await queue.job("outbox-1")
        assert job is not None and job.status == Status.QUEUED
        assert (job.kwargs, job.retries) == ({"message_ids": [1]}, 12)
        assert "queued again 1 relayed rows whose job Redis no longer had (outbox-1 first)" in [
            r.getMessage() for r in caplog.records
        ]
        # A worker runs it, and deletes the row once it has.
        async with running_worker(queue):
            await eventually(lambda: _is_complete(queue, "outbox-1"), seconds=10)
        assert await outbox.unfinished() == 0
        assert await outbox.seconds_until_due(RELAY_LEASE_SECONDS) is None
    finally:
        await queue.disconnect()


async def _is_complete(queue: Queue, key: str) -> bool:
    job = await queue.job(key)
    return job is not None and job.status == Status.COMPLETE


async def _taken(queue: Queue) -> Any:
    """The next job, dequeued as a worker does before it runs it."""
    job = await queue.dequeue(timeout=1)
    assert job is not None
    job.attempts += 1
    await job.update(status=Status.ACTIVE)
    return job


async def test_a_job_completed_while_postgres_was_away_only_loses_its_row() -> None:
    await outbox.record(Job.NOTIFY, kind="follow", actor_id=1, user_id=2)
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-lease-test")
    try:
        await relay_outbox(queue)
        # It ran and completed, and the worker could not delete its row.
        await (await _taken(queue)).finish(Status.COMPLETE, result=0)
        assert await resend(queue) == 1
        assert await outbox.unfinished() == 0
        job = await queue.job("outbox-1")
        assert job is not None and job.status == Status.COMPLETE
        assert await queue.count("incomplete") == 0  # not run again
    finally:
        await queue.disconnect()


async def test_a_job_failed_for_good_while_postgres_was_away_is_dead_lettered_once() -> None:
    await outbox.record(Job.NOTIFY, kind="follow", actor_id=1, user_id=2)
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-lease-test")
    try:
        await relay_outbox(queue)
        job = await _taken(queue)
        job.attempts = JOB_ATTEMPTS
        # Its last attempt failed, and the worker could not record it.
        await job.finish(
            Status.FAILED, error="Traceback (most recent call last):\nValueError: boom"
        )
        assert await resend(queue) == 1
        [letter] = await dead_letters.page()
        assert (letter.key, letter.attempts, letter.summary) == (
            "outbox-1",
            JOB_ATTEMPTS,
            "ValueError: boom",
        )
        assert await outbox.unfinished() == 0
        assert await queue.count("incomplete") == 0  # not given another round of attempts
        # The worker, reaching PostgreSQL again, finds it recorded already.
        assert not await dead_letters.record("notify", "outbox-1", {}, "", JOB_ATTEMPTS)
        assert await resend(queue) == 0
        assert await dead_letters.count() == 1
    finally:
        await queue.disconnect()


async def test_run_again_moves_the_row_into_the_outbox_in_one_transaction() -> None:
    await DeadLetter.insert(
        DeadLetter(job="notify", key="outbox-5", payload={"kind": "follow"}, error="", attempts=12),
        DeadLetter(job="renamed_job", key="outbox-6", payload={}, error="boom", attempts=12),
    )
    first, second = sorted(letter.id for letter in await dead_letters.page())
    assert await dead_letters.run_again(first) == Job.NOTIFY
    assert await OutboxMessage.select(OutboxMessage.job, OutboxMessage.payload) == [
        {"job": "notify", "payload": '{"kind": "follow"}'}
    ]
    # A job this release no longer has cannot be run; its row stays for staff to see.
    with pytest.raises(NotFound, match="renamed_job"):
        await dead_letters.run_again(second)
    assert await dead_letters.count() == 1
    assert await outbox.backlog() == 1
    with pytest.raises(NotFound, match="already run again"):
        await dead_letters.run_again(first)


async def test_the_dead_letter_list_pages_newest_first() -> None:
    await DeadLetter.insert(
        *[
            DeadLetter(job="notify", key=f"outbox-{n}", payload={}, error="", attempts=1)
            for n in range(dead_letters.PAGE_SIZE + 3)
        ]
    )
    first = await dead_letters.page()
    assert len(first) == dead_letters.PAGE_SIZE
    assert first[0].key == f"outbox-{dead_letters.PAGE_SIZE + 2}"
    rest = await dead_letters.page(before=first[-1].id)
    assert [letter.key for letter in rest] == ["outbox-2", "outbox-1", "outbox-0"]
    assert rest[0].summary == ""


async def test_the_failed_jobs_page_is_for_staff_only_and_refuses_bad_input(
    client: AsyncClient, members: Members
) -> None:
    assert (await client.get("/admin/jobs")).status_code in (302, 303, 401)
    member = await members("max")
    refused = await member.get("/admin/jobs")
    assert refused.status_code == 403
    assert (await post_form(member, "/admin/jobs/1/run-again", {})).status_code == 403

    staff = await members("mod")
    await User.update({User.role: "admin"}).where(User.username == "mod")
    empty = await staff.get("/admin/jobs")
    assert empty.status_code == 200 and "No failed jobs." in empty.text
    for before in ("abc", "-1", "1.5", "99999999999999999999999", "٣"):
        bad = await staff.get("/admin/jobs", params={"before": before})
        assert bad.status_code == 400, before
        assert "before must be" in bad.text
    for letter_id in ("1", "abc", "99999999999999999999999", "0"):
        missing = await post_form(staff, f"/admin/jobs/{letter_id}/run-again", {})
        assert missing.status_code == 404, letter_id
        assert "already run again" in missing.text
    # Only the name of a real job is echoed back as a confirmation.
    spoofed = await staff.get("/admin/jobs", params={"ran": "your account is deleted"})
    assert "your account is deleted" not in spoofed.text
    # Without the form's CSRF token nothing runs.
    assert (await staff.post("/admin/jobs/1/run-again")).status_code == 403


# SAQ's per-attempt tracebacks for lost connections


def test_saq_lines_about_lost_connections_pass_once_a_minute_without_traceback() -> None:
    quiet = QuietConnectionErrors(interval_seconds=60)

    def record(error: BaseException) -> logging.LogRecord:
        try:
            raise error
        except BaseException:
            return logging.LogRecord(
                "saq", logging.ERROR, __file__, 1, "Error processing job %s", ("j",), sys.exc_info()
            )

    first = record(ConnectionRefusedError(111, "refused"))
    assert quiet.filter(first)
    assert first.exc_info is None and first.levelno == logging.WARNING
    assert first.getMessage().startswith("Error processing job j: ConnectionRefusedError")
    assert not quiet.filter(record(asyncpg.exceptions.ConnectionDoesNotExistError("gone")))
    # A bug keeps its traceback every time.
    bug = record(ValueError("a bug"))
    assert quiet.filter(bug) and bug.exc_info is not None
    assert quiet.filter(record(ValueError("a bug")))


# The relay outlives lost PostgreSQL connections


class KillsTheRelaysConnection(RedisQueue):
    """A real queue that, the first `kills` times it is handed a job, first terminates the
    PostgreSQL backend of the relay's open transaction (what a restart does to it)."""

    def __init__(self, kills: int) -> None:
        super().__init__(create_redis(get_settings()), name="agora-relay-kill-test")
        self.kills = kills

    async def enqueue(self, job_or_func: Any, **kwargs: Any) -> Any:
        if self.kills:
            self.kills -= 1
            admin = await asyncpg.connect(TEST_DATABASE_URL)
            try:
                terminated = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND state = 'idle in transaction'"
                )
            finally:
                await admin.close()
            assert terminated == 1
        return await super().enqueue(job_or_func, **kwargs)


@pytest.fixture
async def own_pool() -> AsyncIterator[asyncpg.Pool]:
    """The process-wide pool (piccolo_conf.DB), opened for one test and closed however the
    test ends: within seconds, terminated if a connection is still checked out (the test then
    errors), and always forgotten. Piccolo keeps a pool it failed to close and will not open
    another while it does, so one left behind would break every later test that opens one."""
    assert DB.pool is None, "a pool was left open by an earlier test"
    await database.open_pool(min_size=0, max_size=5)
    pool = DB.pool
    assert pool is not None
    try:
        yield pool
    finally:
        try:
            async with asyncio.timeout(5):
                await database.close_pool()
        except TimeoutError:
            pool.terminate()
            DB.pool = None
            raise AssertionError("a connection was never given back to the pool") from None


@pytest.mark.parametrize("outages", [1, 3])
async def test_the_relay_recovers_from_connections_killed_inside_its_transaction(
    outages: int, own_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tasks.outbox_relay")
    queue = KillsTheRelaysConnection(kills=0)
    try:
        async with running_relay(queue, 0.1, retry_seconds=0.05):
            for outage in range(outages):
                queue.kills = 1
                async with outbox.transaction():
                    await outbox.record(Job.NOTIFY, kind="follow", actor_id=outage, user_id=9)
                await eventually(lambda: _backlog_is(0), seconds=5)
                assert queue.kills == 0
            # Long after the outages, new jobs still go out at once.
            async with outbox.transaction():
                await outbox.record(Job.NOTIFY, kind="follow", actor_id=99, user_id=9)
            await eventually(lambda: _backlog_is(0), seconds=2)
            assert await queue.count("queued") == outages + 1
            # No connection leaked from the pool: all five can still be had at once. (Each killed
            # transaction used to keep one checked out for good: Piccolo's failed rollback never
            # gave it back.)
            held: list[Any] = []
            try:
                async with asyncio.timeout(2):
                    for _ in range(5):
                        held.append(await own_pool.acquire())
            finally:
                for connection in held:
                    await own_pool.release(connection)
    finally:
        await queue.disconnect()
    relay_lines = [r for r in caplog.records if r.name == "tasks.outbox_relay"]
    assert [r.levelname for r in relay_lines] == ["WARNING", "INFO"] * outages
    assert all(r.exc_info is None for r in relay_lines)
    assert "outbox relay failed" in relay_lines[0].getMessage()
    assert "works again" in relay_lines[1].getMessage()


async def _backlog_is(count: int) -> bool:
    return await outbox.backlog() == count


class PrivatePostgres:
    """A PostgreSQL server of the test's own, on a free port, to stop and start at will."""

    def __init__(self, directory: Path) -> None:
        binaries = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not binaries:
            pytest.skip("PostgreSQL's server binaries are not installed")
        self.bin = Path(binaries[-1]).parent
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/agora"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(directory, "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_postgres, str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            cwd="/tmp",
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        # -l: the server must not inherit this process's pipes, or reading them never ends.
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as
    # the postgres user.
    directory = Path(tempfile.mkdtemp(prefix="agora-test-pg-"))
    try:
        server = PrivatePostgres(directory)
        server.start()
        try:
            server.run("createdb", "-h", "127.0.0.1", "-p", str(server.port), "agora")
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def _rows_to_relay(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE relayed_at IS NULL"
        )
        return count
    finally:
        await connection.close()


async def _record_directly(url: str, count: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        for n in range(count):
            await connection.execute(
                "INSERT INTO outbox (job, payload) VALUES ('notify', $1)",
                f'{{"kind": "follow", "actor_id": {n}, "user_id": 1}}',
            )
    finally:
        await connection.close()


def _wait_until_relayed(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while run_async(lambda: _rows_to_relay(url)):
        assert time.monotonic() < deadline, "the outbox was not relayed"
        time.sleep(0.05)


def test_a_web_process_keeps_relaying_across_postgres_restarts(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": private_postgres.url, "OUTBOX_SWEEP_SECONDS": "0.2"}
    migrated = run_release(env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    log_path = tmp_path / "web.log"
    port = free_port()
    with log_path.open("w") as log:
        process = start_web(port, env, log)
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        for _ in range(2):
            run_async(lambda: _record_directly(private_postgres.url, 50))
            _wait_until_relayed(private_postgres.url, seconds=10)
            private_postgres.stop()
            time.sleep(1.5)  # several sweeps fail meanwhile
            private_postgres.start()
            run_async(lambda: _record_directly(private_postgres.url, 5))
            _wait_until_relayed(private_postgres.url, seconds=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
    written = log_path.read_text()
    assert written.count("outbox relay failed") == 2, written
    assert written.count("outbox relay works again") == 2, written
    assert "Traceback" not in written and "InterfaceError" not in written, written


# The outage, scaled down: Redis killed and restarted from its snapshot


class PrivateRedis:
    """A Redis server of the test's own, killed and restarted from its snapshot at will."""

    def __init__(self, directory: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.directory), "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill_after_snapshot(self) -> None:
        """SAVE, then SIGKILL: what is written after the snapshot is lost, as in a crash."""
        subprocess.run(["redis-cli", "-p", str(self.port), "save"], check=True, capture_output=True)
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
            server.process.wait()


async def test_posts_written_around_a_redis_restart_reach_every_follower(
    private_redis: PrivateRedis,
) -> None:
    settings = dataclasses.replace(get_settings(), redis_url=private_redis.url)
    author = await accounts.sign_up("author", "Author", PASSWORD)
    followers = [await accounts.sign_up(f"reader{n}", f"Reader {n}", PASSWORD) for n in range(12)]
    for follower in followers:
        await social.follow(follower, author.id)
    async with serve_app(settings) as application:
        queue: RedisQueue = application.state.queue
        guard = redis_guard.active()
        assert guard is not None and guard.retry_seconds == 5.0
        async with running_worker(queue):
            # The follows' jobs run first, then the readers' timelines are built (warm).
            await eventually(lambda: _queue_drained(queue), seconds=20)
            for follower in followers:
                assert await timelines.rebuild(guard, follower.id) is not None
            written = [(await posts.publish(author, f"before {n}")).id for n in range(5)]
            await eventually(lambda: _queue_drained(queue), seconds=20)

            private_redis.kill_after_snapshot()
            written += [(await posts.publish(author, f"during {n}")).id for n in range(5)]
            await asyncio.sleep(3)
            # A page view meanwhile finds Redis gone: the breaker skips it for 5 s from here.
            assert await guard.call(lambda client: client.ping()) is None
            assert guard.is_open
            private_redis.start()
            # Relayed at once, while the breakers of web and worker still skip Redis.
            written += [(await posts.publish(author, f"after {n}")).id for n in range(10)]

            async def everyone_has_everything() -> bool:
                for follower in followers:
                    ids = await guard.client.zrange(timelines.timeline_key(follower.id), 0, -1)
                    if not {str(post_id).encode() for post_id in written} <= set(ids):
                        return False
                return True

            await eventually(everyone_has_everything, seconds=90)
            # Every job is done, and its outbox row gone with it.
            await eventually(lambda: _queue_drained(queue), seconds=20)
    assert await dead_letters.count() == 0


async def _queue_drained(queue: RedisQueue) -> bool:
    return await outbox.unfinished() == 0 and await queue.count("incomplete") == 0


# Lost jobs and lost connections

# SAQ types the timers as all four keys, but takes any of them (the rest keep their defaults).
SWEEPING = cast(PartialTimersDict, {"sweep": SWEEP_SECONDS})


async def test_a_job_left_running_by_a_killed_worker_runs_again_within_seconds() -> None:
    """A job SAQ marked active for a worker that then died (SIGKILL, or a Redis snapshot
    taken while it ran) is run again once its heartbeat lapses, not after its 60 s timeout."""
    author, post_id = await a_post("orphan")
    # The queue's own client: the web process's fail-fast one (0.25 s) misses touches and
    # dequeues on a loaded machine, which is not what this test is about.
    queue = create_queue(get_settings(), name="agora-lost-job-test")
    key, message_ids = await relayed_rows(Job.FAN_OUT_POST, {"post_id": post_id})
    await queue.enqueue(
        "fan_out_post",
        key=key,
        # As the relay enqueues it: the sweep re-runs a lost job only if it has attempts left.
        timeout=JOB_TIMEOUT_SECONDS,
        heartbeat=JOB_HEARTBEAT_SECONDS,
        retries=JOB_ATTEMPTS,
        retry_delay=RETRY_BASE_SECONDS,
        retry_backoff=RETRY_CAP_SECONDS,
        message_ids=message_ids,
    )
    # What a worker does when it takes a job, before it is killed without running it.
    taken = await queue.dequeue(timeout=1)
    assert taken is not None
    taken.started = saq_now()
    taken.attempts += 1
    await taken.update(status=Status.ACTIVE)
    started = time.monotonic()
    async with redis_guard_in_use(live_guard(1.0)):
        running: Worker[Any] = Worker(
            queue=queue,
            functions=list(worker.OUTBOX_JOBS.values()),
            timers=SWEEPING,
            dequeue_timeout=1.0,
        )
        task = asyncio.create_task(running.start())
        try:
            await eventually(lambda: in_timeline(author.id, post_id), JOB_TIMEOUT_SECONDS / 4)
            reached = time.monotonic() - started
            # The post reaches the timeline before the job deletes its outbox row, so stopping
            # the worker now would cancel the job mid-statement. This worker has no pool, and
            # Piccolo leaves the connection of a statement cancelled that way open; one
            # cancelled just after PostgreSQL parsed it keeps that statement's table locks.
            # The next test's TRUNCATE then waits on it for good: the connection belongs to
            # this (session-wide) event loop, which that TRUNCATE's fixture blocks.
            await eventually(lambda: _is_complete(queue, key), seconds=10)
        finally:
            await running.stop()
            task.cancel()
    assert reached < JOB_HEARTBEAT_SECONDS + 5
    assert await outbox.unfinished() == 0


SLOW_JOB_RUNS: list[float] = []


async def slow_job(ctx: Any) -> None:
    """Runs for two heartbeats (SAQ finds a job's function by its qualified name, so it
    lives at module level)."""
    SLOW_JOB_RUNS.append(time.monotonic())
    await asyncio.sleep(JOB_HEARTBEAT_SECONDS * 2)


async def test_a_running_job_is_touched_so_it_is_not_taken_as_lost() -> None:
    """A job running longer than its heartbeat is kept alive by the worker, not swept and
    run a second time meanwhile."""
    queue = create_queue(get_settings(), name="agora-touch-test")
    running: Worker[Any] = Worker(
        queue=queue,
        functions=[worker.kept_alive(slow_job)],
        timers=SWEEPING,
        dequeue_timeout=1.0,
    )
    task = asyncio.create_task(running.start())
    try:
        SLOW_JOB_RUNS.clear()
        job = await queue.enqueue("slow_job", heartbeat=JOB_HEARTBEAT_SECONDS, timeout=60)
        assert job is not None
        await job.refresh(until_complete=JOB_HEARTBEAT_SECONDS * 4)
        assert job.status == Status.COMPLETE
    finally:
        await running.stop()
        task.cancel()
    assert len(SLOW_JOB_RUNS) == 1


async def test_the_breaker_lets_redis_back_in_one_period_after_a_restart(
    private_redis: PrivateRedis,
) -> None:
    """The pool's connections to the killed Redis are closed when the breaker opens, so the
    one call let through after the period connects afresh and succeeds."""
    settings = dataclasses.replace(get_settings(), redis_url=private_redis.url)
    guard = GuardedRedis(create_redis(settings), 1.0, 0.2)
    try:
        # Several idle connections in the pool, as under load.
        assert (
            await asyncio.gather(*[guard.call(lambda c: c.ping()) for _ in range(5)]) == [True] * 5
        )
        private_redis.kill_after_snapshot()
        assert await guard.call(lambda c: c.ping()) is None
        assert guard.is_open
        private_redis.start()
        await guard.wait_until_closed()
        assert await guard.call(lambda c: c.ping()) is True
        assert not guard.is_open
    finally:
        await guard.client.aclose()
