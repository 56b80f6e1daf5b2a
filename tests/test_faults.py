"""The fault tests, quick version: each server killed or stopped for 2 s under write load from
four logged-in clients, against servers of this module's own (a PostgreSQL cluster and a
redis-server on free ports, the release step, the Procfile's web and worker lines), never the
suite's shared ones. The targets are the real ones of docs/RELIABILITY.md; the long version is
`python -m bench.faults`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bench.faults.checks import check_notifications, check_timelines, lost_writes, take_marks
from bench.faults.scenarios import QUICK, SCENARIOS, Harness, run_scenario, running_harness
from bench.faults.servers import StackOptions
from bench.faults.traffic import Answer

pytestmark = [pytest.mark.serial, pytest.mark.timeout(150)]


@pytest.fixture(scope="module")
async def harness() -> AsyncIterator[Harness]:
    async with running_harness(StackOptions(clients=4)) as running:
        yield running


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_recovers_from(harness: Harness, name: str) -> None:
    figures = await run_scenario(harness, name, QUICK)
    print(figures.report())
    assert not figures.missed(), figures.report()


async def test_the_checks_see_what_they_look_for(harness: Harness) -> None:
    """The harness itself: a post no fan-out put in the timelines, a like nobody was notified
    of and a write acknowledged but never stored are each found, so zeros above mean zero."""
    url = harness.stack.postgres.url
    author, reader = harness.members[0], harness.members[1]
    assert (await reader.client.get("/")).status_code == 200  # the reader's timeline exists
    marks = await take_marks(url)
    connection = await asyncpg.connect(url)
    # Straight into the tables: no outbox job, so no fan-out and no notification.
    post_id = await connection.fetchval(
        "INSERT INTO post (author, text) VALUES ($1, 'not fanned out') RETURNING id",
        author.user_id,
    )
    try:
        await connection.execute(
            'INSERT INTO post_like ("user", post) VALUES ($1, $2)', reader.user_id, post_id
        )
        never_stored = Answer("post", 0.0, 0.0, 303, ref=(post_id + 1_000_000,))
        assert await lost_writes(url, [never_stored]) == Counter(post=1)
        timelines = await check_timelines(url, [reader], marks)
        assert (timelines.missing, timelines.examples) == (1, [(reader.username, post_id)])
        notifications = await check_notifications(url, marks)
        assert notifications.missing == Counter(like=1)
    finally:
        await connection.execute("DELETE FROM post WHERE id = $1", post_id)
        await connection.close()
