"""Outbox jobs run in batches: each SAQ job runs the outbox rows of one kind that the relay
queued together (tasks.outbox_relay), reading them back from the outbox.

A job runs the rows of its batch still in the outbox one after another, each through the
job's function with the row's payload, and deletes the rows it ran (domain.core.outbox), so a
retry or a second run of the same batch runs only what is left. A lost connection ends the
attempt (the rest wait for the retry, and the rows run so far are kept done); any other error
leaves its row for the retry and the others run on. The attempt then fails with that error,
or with an ExceptionGroup of them when several rows failed.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from saq.job import Job as SaqJob

from domain.core import outbox
from domain.core.outbox import Job
from tasks.outages import riding_out_outages
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
    job's name): runs `run(ctx, **payload)` for each row
    of its batch still in the outbox, riding out short outages (tasks.outages); returns how
    many rows it ran."""
    run_message = riding_out_outages(run)

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
                    await run_message(ctx, **message.payload)
                except CONNECTION_ERRORS:
                    raise
                except Exception as error:
                    logger.info("outbox row %d of job %s failed: %r", message.id, job, error)
                    failures.append(error)
                else:
                    done.append(message.id)
        finally:
            await outbox.finish(done)
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise ExceptionGroup(f"{len(failures)} of {len(pending)} rows failed", failures)
        return len(done)

    return run_batch
