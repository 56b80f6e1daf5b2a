"""The SAQ worker's settings and its housekeeping job, run against real Postgres and Redis."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from asyncpg.exceptions import PostgresConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError
from saq import CronJob, Queue, Worker

from domain import accounts
from domain.accounts import Session
from domain.core.outbox import Job
from domain.core.settings import get_settings
from tasks import outages, worker
from tasks.cache_warming import warm_cache
from tasks.housekeeping import (
    remove_expired_grants,
    remove_expired_sessions,
    remove_unused_uploads,
)
from tasks.job_outcomes import after_process, before_process
from tasks.outbox_relay import relay_job
from tasks.queue import WorkerContext, create_queue
from tasks.timeline_jobs import fan_out_post, refresh_timeline, retract_post
from tests.conftest import ROOT, TEST_REDIS_URL, run_async
from tests.helpers import (
    NO_CONTEXT,
    PASSWORD,
    registered_functions,
    relayed_rows,
    worker_functions,
)


async def test_worker_settings_register_the_job_and_its_schedule() -> None:
    assert remove_expired_sessions in worker_functions(worker.settings)
    cron_jobs = cast("list[CronJob[WorkerContext]]", worker.settings["cron_jobs"])
    assert [job.function for job in cron_jobs] == [
        remove_expired_sessions,
        remove_expired_grants,
        remove_unused_uploads,
        relay_job,
        warm_cache,
    ]
    registered = registered_functions(worker.settings)
    assert {fan_out_post, retract_post, refresh_timeline} <= registered
    assert isinstance(worker.settings["queue"], Queue)


async def _expire_newest_session() -> None:
    newest = await Session.select(Session.id).order_by(Session.id, ascending=False).first()
    assert newest is not None
    past = datetime.now(UTC) - timedelta(minutes=1)
    await Session.update({Session.expires_at: past}).where(Session.id == newest["id"])


async def test_remove_expired_sessions_keeps_live_ones_and_is_idempotent() -> None:
    user = await accounts.sign_up("sam", "Sam", PASSWORD)
    live = await accounts.start_session(user)
    await accounts.start_session(user)
    await _expire_newest_session()
    assert await remove_expired_sessions(NO_CONTEXT) == 1
    assert await remove_expired_sessions(NO_CONTEXT) == 0
    assert await Session.count() == 1
    assert await accounts.user_for_session(live) is not None


async def test_a_real_worker_runs_the_job_from_the_queue() -> None:
    user = await accounts.sign_up("tia", "Tia", PASSWORD)
    await accounts.start_session(user)
    await _expire_newest_session()
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-test-worker")
    running = Worker(queue=queue, functions=worker_functions(worker.settings))
    task = asyncio.create_task(running.start())
    try:
        removed = await queue.apply("remove_expired_sessions", timeout=10)
        assert removed == 1
        assert await Session.count() == 0
    finally:
        await running.stop()
        task.cancel()
        await queue.disconnect()


def test_every_outbox_job_has_a_worker_function_of_its_name() -> None:
    # What the worker registers with SAQ is what the domain may record, by the same names.
    registered = {
        getattr(function, "__name__", "") for function in worker_functions(worker.settings)
    }
    assert {job.value for job in Job} <= registered
    assert set(worker.OUTBOX_JOBS) == set(Job)


def test_a_job_without_a_worker_function_stops_the_worker_from_starting() -> None:
    handlers = dict(worker.OUTBOX_JOBS)
    del handlers[Job.NOTIFY]
    with pytest.raises(RuntimeError, match="without a worker function: notify"):
        worker.check_outbox_jobs(handlers)

    async def not_notify(ctx: object, **event: object) -> None:
        return None

    with pytest.raises(RuntimeError, match="another name: notify"):
        worker.check_outbox_jobs({**handlers, Job.NOTIFY: not_notify})


async def test_the_worker_logs_one_line_per_job_with_its_outcome_and_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert worker.settings["before_process"] is before_process
    assert worker.settings["after_process"] is after_process
    caplog.set_level(logging.INFO, logger="tasks.job_outcomes")
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-test-job-log")
    running = Worker(
        queue=queue,
        functions=worker_functions(worker.settings),
        before_process=before_process,
        after_process=after_process,
    )
    key, message_ids = await relayed_rows(Job.NOTIFY, {"kind": "nothing"})
    task = asyncio.create_task(running.start())
    try:
        assert await queue.apply("remove_expired_sessions", key="log-1", timeout=10) == 0
        # An outbox job whose last attempt (here its only one) fails is dead-lettered.
        with pytest.raises(Exception, match="not a notification event"):
            await queue.apply("notify", key=key, timeout=10, message_ids=message_ids)
    finally:
        await running.stop()
        task.cancel()
        await queue.disconnect()
    lines = [r.getMessage() for r in caplog.records if r.name == "tasks.job_outcomes"]
    assert len(lines) == 2, lines
    assert re.fullmatch(
        r"job remove_expired_sessions log-1 complete in \d+ ms \(attempt 1 of 1\)", lines[0]
    )
    assert re.fullmatch(
        rf"job notify {key} dead-lettered in \d+ ms \(attempt 1 of 1\): "
        r"ValueError\('not a notification event: nothing'\)",
        lines[1],
    )


async def _run_through_the_agora_queue(key: str) -> None:
    queue = create_queue(get_settings())
    try:
        job = await queue.enqueue("remove_expired_sessions", key=key, timeout=10)
        assert job is not None
        await job.refresh(until_complete=20)
    finally:
        await queue.disconnect()


def test_the_worker_process_logs_each_job_at_its_default_log_level(tmp_path: Path) -> None:
    # `saq` sets up logging at WARNING unless given -v; the job lines must show regardless.
    log_path = tmp_path / "worker.log"
    saq = Path(sys.executable).parent / "saq"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(saq), "tasks.worker.settings"], cwd=ROOT, env=dict(os.environ), stderr=log
        )
    try:
        run_async(lambda: _run_through_the_agora_queue("process-log-1"))
        deadline = time.monotonic() + 5
        while "process-log-1" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert re.search(
        r"INFO:tasks.job_outcomes:job remove_expired_sessions process-log-1 complete in \d+ ms",
        log_path.read_text(),
    ), log_path.read_text()


class _TouchSwallowingItsCancellation:
    """A job whose touch, when cancelled, raises a connection error instead (as redis-py can
    when the cancellation lands inside a command)."""

    heartbeat = 0.04

    async def update(self) -> None:
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            raise RedisConnectionError("Connection closed by server.") from None


async def test_a_finished_job_is_not_kept_waiting_by_its_touching() -> None:
    async def quick(ctx: WorkerContext) -> str:
        await asyncio.sleep(0.05)  # long enough for a touch to be under way
        return "done"

    ctx = cast(WorkerContext, {"job": _TouchSwallowingItsCancellation()})
    async with asyncio.timeout(3):
        assert await worker.kept_alive(quick)(ctx) == "done"


async def test_a_job_rides_out_a_short_outage_within_its_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outages, "OUTAGE_POLL_SECONDS", 0.01)
    calls: list[float] = []

    async def back_on_the_third_try(ctx: WorkerContext, *, post_id: int) -> int:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise PostgresConnectionError("the database system is shutting down")
        return post_id

    assert await outages.riding_out_outages(back_on_the_third_try)(NO_CONTEXT, post_id=7) == 7
    assert len(calls) == 3


async def test_a_long_outage_or_a_bug_fails_the_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outages, "OUTAGE_POLL_SECONDS", 0.01)
    monkeypatch.setattr(outages, "OUTAGE_WAIT_SECONDS", 0.1)
    calls = 0

    async def never_back(ctx: WorkerContext) -> None:
        nonlocal calls
        calls += 1
        raise RedisConnectionError("Connection refused")

    started = time.monotonic()
    with pytest.raises(RedisConnectionError):
        await outages.riding_out_outages(never_back)(NO_CONTEXT)
    assert 0.1 <= time.monotonic() - started < 1 and calls > 2

    async def broken(ctx: WorkerContext) -> None:
        nonlocal calls
        calls += 1
        raise KeyError("recipient")

    calls = 0
    with pytest.raises(KeyError):
        await outages.riding_out_outages(broken)(NO_CONTEXT)
    assert calls == 1  # a job's own fault goes straight to SAQ's back-off
