"""Outbox jobs run in batches: each SAQ job runs the outbox rows of one kind that the relay
queued together (tasks.outbox_relay), reading them back from the outbox.

A job runs the rows of its batch still in the outbox one after another, each through the
job's function with the row's payload, and deletes the rows it ran (domain.core.outbox), so a
retry or a second run of the same batch runs only what is left. A row that fails stays for
the retry and the others run on, whatever the error: a row whose own work keeps losing its
connection (a fan-out timing out on Redis) must not keep the rows after it from running. The
run then fails with a lost connection if one was among the errors (the worker runs the batch
again once the connection is back: tasks.outages), else with the error, or an ExceptionGroup
of them when several rows failed.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from saq.job import Job as SaqJob

from domain.core import outbox
from domain.core.outbox import Job
from tasks.queue import CONNECTION_ERRORS, JobFunction, WorkerContext

logger = logging.getLogger(__name__)


def message_ids_of(job: SaqJob) -> list[int]:
    """The outbox rows a job was queued with: its `message_ids` argument, or for a job that
    a release before batches queued alone (keyed `outbox-<id>`), that one row."""
    message_ids = (job.kwargs or {}).get("message_ids")
    if message_ids is not None:
        return [int(message_id) for message_id in message_ids]
    alone = outbox.message_id_of(job.key)
    return [] if alone is None else [alone]


def in_batches(job: Job, run: JobFunction) -> JobFunction:
    """The SAQ function of `job`, named as `run` is (tasks.worker checks that it is the
    job's name): runs `run(ctx, **payload)` for each row of its batch still in the outbox;
    returns how many rows it ran. The rows that ran are deleted even when others failed (if
    PostgreSQL can be reached); the module's docstring says what is raised then."""

    @functools.wraps(run)
    async def run_batch(ctx: WorkerContext, **_: Any) -> int:
        # The arguments are read from the job, as `message_ids_of` reads them for a job queued
        # by an earlier release, whose arguments were its row's payload.
        pending = await outbox.messages(job, message_ids_of(ctx["job"]))
        done: list[int] = []
        failures: list[Exception] = []
        try:
            for message in pending:
                try:
                    await run(ctx, **message.payload)
                except Exception as error:
                    failures.append(error)
                    # An outage is logged once, by the job's line (tasks.job_outcomes).
                    if not isinstance(error, CONNECTION_ERRORS):
                        logger.info("outbox row %d of job %s failed: %r", message.id, job, error)
                else:
                    done.append(message.id)
        finally:
            await outbox.finish(done)
        if lost := [error for error in failures if isinstance(error, CONNECTION_ERRORS)]:
            raise lost[0]
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise ExceptionGroup(f"{len(failures)} of {len(pending)} rows failed", failures)
        return len(done)

    return run_batch
