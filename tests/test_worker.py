"""The SAQ worker's settings and its housekeeping job, run against real Postgres and Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from saq import Queue, Worker

from domain import accounts
from domain.accounts import Session
from domain.core.outbox import Job
from tasks import worker
from tasks.cache_warming import warm_cache
from tasks.housekeeping import (
    remove_expired_grants,
    remove_expired_sessions,
    remove_unused_uploads,
)
from tasks.outbox_relay import relay_job
from tasks.timeline_jobs import fan_out_post, refresh_timeline, retract_post
from tests.conftest import TEST_REDIS_URL
from tests.helpers import PASSWORD


async def test_worker_settings_register_the_job_and_its_schedule() -> None:
    assert remove_expired_sessions in worker.settings["functions"]
    assert [job.function for job in worker.settings["cron_jobs"]] == [
        remove_expired_sessions,
        remove_expired_grants,
        remove_unused_uploads,
        relay_job,
        warm_cache,
    ]
    assert {fan_out_post, retract_post, refresh_timeline} <= set(worker.settings["functions"])
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
    assert await remove_expired_sessions({}) == 1
    assert await remove_expired_sessions({}) == 0
    assert await Session.count() == 1
    assert await accounts.user_for_session(live) is not None


async def test_a_real_worker_runs_the_job_from_the_queue() -> None:
    user = await accounts.sign_up("tia", "Tia", PASSWORD)
    await accounts.start_session(user)
    await _expire_newest_session()
    queue = Queue.from_url(TEST_REDIS_URL, name="agora-test-worker")
    running = Worker(queue=queue, functions=worker.settings["functions"])
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
    registered = {function.__name__ for function in worker.settings["functions"]}
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
