"""Outbox jobs in batches: the relay queues rows of one kind together (tasks.outbox_relay), and
a job runs the rows of its batch still in the outbox, deleting each it ran (tasks.outbox_jobs),
on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from typing import Any, cast

import asyncpg
import pytest
from asyncpg.exceptions import CannotConnectNowError, InternalClientError
from redis.exceptions import ConnectionError as RedisConnectionError
from saq import Queue
from saq.job import Job as SaqJob
from saq.job import Status

from domain.core import database, dead_letters, outbox
from domain.core.outbox import Job, OutboxMessage
from tasks import outages, worker
from tasks.job_outcomes import after_process
from tasks.outbox_jobs import in_batches
from tasks.outbox_relay import (
    QUEUE_BEHIND_JOBS,
    RELAY_INTERVAL_BEHIND_SECONDS,
    RELAY_INTERVAL_SECONDS,
    relay_outbox,
)
from tasks.queue import MESSAGES_PER_JOB, WorkerContext
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.helpers import relayed_rows, running_relay


async def _queued_as() -> dict[int, str | None]:
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.queued_as)
    return {row["id"]: row["queued_as"] for row in rows}


async def test_the_relay_queues_rows_of_one_kind_together_in_jobs_of_a_bounded_size() -> None:
    # 45 notifications and 3 fan-outs, interleaved as writes record them.
    for n in range(48):
        if n % 16 == 0:
            await outbox.record(Job.FAN_OUT_POST, post_id=n)
        else:
            await outbox.record(Job.NOTIFY, kind="follow", actor_id=n, user_id=1)
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-batch-test")
    try:
        assert await relay_outbox(queue) == 48
        queued_as = await _queued_as()
        keys = sorted(set(queued_as.values()), key=str)
        jobs = {key: await queue.job(key) for key in keys if key is not None}
    finally:
        await queue.disconnect()
    fan_outs = [1, 17, 33]
    notify = [n for n in range(1, 49) if n not in fan_outs]
    batches = [("fan_out_post", fan_outs)] + [
        ("notify", notify[start : start + 20]) for start in (0, 20, 40)
    ]
    expected = {outbox.batch_key(ids): (kind, ids) for kind, ids in batches}
    assert MESSAGES_PER_JOB == 20
    assert outbox.batch_key(fan_outs).startswith("outbox-1-33-")
    assert {
        key: (job.function, job.kwargs["message_ids"])
        for key, job in jobs.items()
        if job is not None and job.kwargs is not None
    } == expected
    # Each row knows the job that holds it, for the relay to look up after the lease.
    for key, (_, message_ids) in expected.items():
        assert {queued_as[message_id] for message_id in message_ids} == {key}


class _Recorder:
    """A job function that notes the payloads it ran, failing or losing its connection on
    the ones asked to."""

    def __init__(self, failing: set[int] | None = None, lost: set[int] | None = None) -> None:
        self.ran: list[int] = []
        self.failing = failing or set()
        self.lost = lost or set()
        self.__name__ = "notify"

    async def __call__(self, ctx: WorkerContext, *, n: int) -> None:
        if n in self.lost:
            raise RedisConnectionError("Connection closed by server.")
        if n in self.failing:
            raise ValueError(f"row {n} is bad")
        self.ran.append(n)


def _context(key: str, message_ids: list[int]) -> WorkerContext:
    job = SaqJob(function="notify", kwargs={"message_ids": message_ids}, key=key)
    return cast(WorkerContext, {"job": job})


async def _rows(count: int) -> tuple[str, list[int]]:
    return await relayed_rows(Job.NOTIFY, *({"n": n} for n in range(count)))


async def test_a_batch_runs_its_rows_in_order_and_deletes_each_it_ran() -> None:
    key, message_ids = await _rows(5)
    recorder = _Recorder()
    run = in_batches(Job.NOTIFY, recorder)
    assert run.__name__ == "notify"
    assert await run(_context(key, message_ids)) == 5
    assert recorder.ran == [0, 1, 2, 3, 4]
    assert await outbox.unfinished() == 0
    # Run again (a late touch, a duplicate relay): its rows are done, nothing runs twice.
    assert await run(_context(key, message_ids)) == 0
    assert recorder.ran == [0, 1, 2, 3, 4]


async def test_a_failing_row_is_kept_for_the_retry_and_the_others_run_on() -> None:
    key, message_ids = await _rows(4)
    recorder = _Recorder(failing={1})
    run = in_batches(Job.NOTIFY, recorder)
    with pytest.raises(ValueError, match="row 1 is bad"):
        await run(_context(key, message_ids))
    assert recorder.ran == [0, 2, 3]
    assert [m.id for m in await outbox.messages(Job.NOTIFY, message_ids)] == [message_ids[1]]
    # The retry runs only what is left.
    recorder.failing = set()
    assert await run(_context(key, message_ids)) == 1
    assert recorder.ran == [0, 2, 3, 1]
    assert await outbox.unfinished() == 0


async def test_several_failing_rows_fail_the_attempt_with_all_their_errors() -> None:
    key, message_ids = await _rows(4)
    run = in_batches(Job.NOTIFY, _Recorder(failing={0, 3}))
    with pytest.raises(ExceptionGroup) as raised:
        await run(_context(key, message_ids))
    assert str(raised.value) == "2 of 4 rows failed (2 sub-exceptions)"
    assert [str(error) for error in raised.value.exceptions] == ["row 0 is bad", "row 3 is bad"]
    assert await outbox.unfinished() == 2


async def test_a_lost_connection_fails_the_run_once_the_other_rows_ran() -> None:
    key, message_ids = await _rows(5)
    recorder = _Recorder(lost={2})
    with pytest.raises(RedisConnectionError):
        await in_batches(Job.NOTIFY, recorder)(_context(key, message_ids))
    # A row whose own work keeps losing its connection (a fan-out timing out on Redis) does
    # not keep the rows after it from running; it alone waits for the next run.
    assert recorder.ran == [0, 1, 3, 4]
    left = await outbox.messages(Job.NOTIFY, message_ids)
    assert [message.payload["n"] for message in left] == [2]


async def test_a_lost_connection_is_raised_before_a_rows_own_error() -> None:
    key, message_ids = await _rows(3)
    with pytest.raises(RedisConnectionError):
        await in_batches(Job.NOTIFY, _Recorder(failing={0}, lost={1}))(_context(key, message_ids))
    # The outage is what the worker rides out (tasks.outages); both rows wait for the rerun.
    assert await outbox.unfinished() == 2


async def test_a_job_left_queued_by_a_relay_that_rolled_back_does_not_hide_a_row() -> None:
    """A relay run that queued a job and then failed (Redis flapping at a later enqueue of the
    same run) rolls back, and leaves that job queued with its rows unmarked. A row committed
    meanwhile between its ids (ids are taken at insert, commits come in any order) makes the
    next run's batch span the same first and last ids: it must not be taken for the job
    already queued, which lacks it."""
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-rolled-back-relay-test")
    late = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        await outbox.record(Job.NOTIFY, n=1)
        writing = late.transaction()
        await writing.start()
        middle = await late.fetchval(
            "INSERT INTO outbox (job, payload) VALUES ('notify', '{\"n\": 2}') RETURNING id"
        )
        await outbox.record(Job.NOTIFY, n=3)
        await outbox.record(Job.FAN_OUT_POST, n=4)
        assert middle == 2
        with pytest.raises(RedisConnectionError):
            await relay_outbox(cast(Queue, _FailsToQueue(queue, "fan_out_post")))
        assert await outbox.backlog() == 3  # rolled back: rows 1, 3 and 4 unmarked (2 unseen)
        stray = await queue.job(outbox.batch_key([1, 3]))
        assert stray is not None and stray.kwargs == {"message_ids": [1, 3]}
        await writing.commit()
        assert await relay_outbox(queue) == 4
        queued_as = await _queued_as()
        # Rows 1 to 3 went out in a job of their own, which holds row 2.
        assert queued_as[2] == outbox.batch_key([1, 2, 3]) != outbox.batch_key([1, 3])
        held = await queue.job(queued_as[2])
        assert held is not None and held.kwargs == {"message_ids": [1, 2, 3]}
    finally:
        await late.close()
        await queue.disconnect()


class _FailsToQueue:
    """The relay's queue while Redis flaps: jobs of `failing` fail to be queued, after the
    others of the same relay run went through."""

    def __init__(self, queue: Queue, failing: str) -> None:
        self.queue = queue
        self.failing = failing

    async def enqueue(self, function: str, **kwargs: Any) -> Any:
        if function == self.failing:
            await asyncio.sleep(0.1)
            raise RedisConnectionError("Connection closed by server.")
        return await self.queue.enqueue(function, **kwargs)

    async def jobs(self, keys: Any) -> Any:
        return await self.queue.jobs(keys)


async def test_a_batch_failed_for_good_dead_letters_each_row_it_had_left() -> None:
    key, message_ids = await _rows(3)
    await outbox.finish(message_ids[:1])  # ran by an earlier attempt
    job = SaqJob(
        function="notify",
        kwargs={"message_ids": message_ids},
        key=key,
        status=Status.FAILED,
        attempts=12,
        error="Traceback (most recent call last):\nValueError: boom",
    )
    await after_process(cast(WorkerContext, {"job": job}))
    letters = await dead_letters.page()
    assert sorted((letter.key, letter.payload["n"]) for letter in letters) == [
        (outbox.job_key(message_ids[1]), 1),
        (outbox.job_key(message_ids[2]), 2),
    ]
    assert {(letter.job, letter.attempts, letter.summary) for letter in letters} == {
        ("notify", 12, "ValueError: boom")
    }
    assert await outbox.unfinished() == 0


async def test_a_job_queued_alone_by_the_release_before_batches_runs_its_row() -> None:
    """Before batches the relay queued each row alone, keyed `outbox-<id>`, with the row's
    payload as the job's arguments: such a job, still queued during an upgrade, runs."""
    key, [message_id] = await relayed_rows(
        Job.NOTIFY, {"kind": "follow", "actor_id": 1, "user_id": 2}
    )
    assert key == f"outbox-{message_id}"
    ran: list[dict[str, Any]] = []

    async def notify(ctx: WorkerContext, **event: Any) -> None:
        ran.append(event)

    legacy = SaqJob(function="notify", kwargs={"kind": "follow", "actor_id": 1}, key=key)
    run = in_batches(Job.NOTIFY, notify)
    assert await run(cast(WorkerContext, {"job": legacy}), kind="follow", actor_id=1) == 1
    # The row's payload is what runs (the job's copy of it is the same, or older).
    assert ran == [{"kind": "follow", "actor_id": 1, "user_id": 2}]
    assert await outbox.unfinished() == 0


async def _stream_of_writes(queue: Queue, writes: int) -> tuple[Counter[str | None], float]:
    """Record one row after a quiet spell, then `writes` more 10 ms apart, with the web
    process's relay running; the jobs the later ones went out in (key: rows), and how long
    writing them took."""
    await database.open_pool(min_size=1, max_size=2)
    try:
        async with running_relay(queue, sweep_seconds=30.0):
            # A write after a quiet spell goes out alone, without waiting for company.
            async with outbox.transaction():
                await outbox.record(Job.NOTIFY, kind="follow", actor_id=0, user_id=9)
            await _relayed(1, within=2.0)
            started = time.monotonic()
            for actor in range(1, writes + 1):
                async with outbox.transaction():
                    await outbox.record(Job.NOTIFY, kind="follow", actor_id=actor, user_id=9)
                await asyncio.sleep(0.01)
            writing = time.monotonic() - started
            await _relayed(writes + 1, within=2.0)
    finally:
        await database.close_pool()
    jobs = Counter((await _queued_as()).values())
    assert jobs.pop("outbox-1") == 1
    return jobs, writing


# Timed: in the serial pass, where no other test competes for the CPU.
@pytest.mark.serial
async def test_under_a_stream_of_writes_the_relay_runs_once_an_interval() -> None:
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-interval-test")
    try:
        jobs, writing = await _stream_of_writes(queue, 8)
    finally:
        await queue.disconnect()
    # Without the interval, each write 10 ms apart would go out alone.
    assert len(jobs) <= math.ceil(writing / RELAY_INTERVAL_SECONDS) + 1, (jobs, writing)


# Timed: in the serial pass, where no other test competes for the CPU.
@pytest.mark.serial
async def test_while_the_worker_is_behind_the_relay_runs_less_often() -> None:
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-behind-test")
    try:
        # No worker, and a queue this long: the rows would wait anyway.
        for n in range(QUEUE_BEHIND_JOBS):
            await queue.enqueue("remove_expired_sessions", key=f"waiting-{n}")
        # Fewer than MESSAGES_PER_JOB, so that each relay run makes one job: the jobs count
        # the runs. At the 50 ms interval these would go in five jobs or more.
        jobs, writing = await _stream_of_writes(queue, MESSAGES_PER_JOB - 5)
    finally:
        await queue.disconnect()
    assert len(jobs) <= math.ceil(writing / RELAY_INTERVAL_BEHIND_SECONDS) + 1, (jobs, writing)
    assert writing < RELAY_INTERVAL_BEHIND_SECONDS * 2  # else the bound says little


async def _relayed(count: int, within: float) -> None:
    deadline = time.monotonic() + within
    while await outbox.unfinished() - await outbox.backlog() < count:
        assert time.monotonic() < deadline, "the rows were not relayed in time"
        await asyncio.sleep(0.005)


async def test_a_batch_rides_out_postgresql_away_when_it_reads_its_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's function of an outbox job (tasks.worker) rides an outage out whether it
    meets it in a row's work or in reading the batch's rows: a job started while PostgreSQL
    restarts does not fail its attempt into the back-off."""
    monkeypatch.setattr(outages, "OUTAGE_POLL_SECONDS", 0.01)
    key, message_ids = await relayed_rows(
        Job.NOTIFY, {"kind": "follow", "actor_id": 1, "user_id": 2}
    )
    read = outbox.messages
    # As seen while PostgreSQL shut down and came back.
    failures: list[Exception] = [
        CannotConnectNowError("the database system is shutting down"),
        InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    ]

    async def read_after_the_outage(job: Job, ids: list[int]) -> list[outbox.Message]:
        if failures:
            raise failures.pop(0)
        return await read(job, ids)

    monkeypatch.setattr(outbox, "messages", read_after_the_outage)
    job = SaqJob(function="notify", kwargs={"message_ids": message_ids}, key=key, heartbeat=0)
    assert await worker.OUTBOX_JOBS[Job.NOTIFY](cast(WorkerContext, {"job": job})) == 1
    assert failures == []
    assert await outbox.unfinished() == 0
