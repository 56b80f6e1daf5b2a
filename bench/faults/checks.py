"""What a scenario measures once its servers are back: acknowledged writes against the rows
PostgreSQL holds, home timelines against what PostgreSQL says they should hold, notifications
(duplicated, or missing for a like, comment or follow that was made), and, sampled all along,
the outbox and the job queue, to tell when the work held up by the fault has drained.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError
from saq.queue.redis import RedisQueue

from bench.faults.traffic import WRITES, Answer, Member
from bench.load import _OLDER_LINK, _POST_ID
from tasks.queue import QUEUE_NAME

MAX_PAGES = 100  # of a home timeline walked back to the scenario's first post
# An outbox job's key: the range of the rows it holds, or the one row (tasks.outbox_relay).
_OUTBOX_JOB = re.compile(r"(outbox-(\d+)(?:-\d+-[0-9a-f]+)?)$")
_OUTBOX_POSITION = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM outbox_id_seq"


@dataclass(frozen=True)
class Marks:
    """Where the data stood when a scenario began: what it makes comes after these."""

    post_id: int
    comment_id: int
    notification_id: int
    outbox_id: int
    clock: datetime  # PostgreSQL's


async def take_marks(database_url: str) -> Marks:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT coalesce(max(id), 0) FROM post) AS post_id,"
            " (SELECT coalesce(max(id), 0) FROM comment) AS comment_id,"
            " (SELECT coalesce(max(id), 0) FROM notification) AS notification_id,"
            f" ({_OUTBOX_POSITION}) AS outbox_id, clock_timestamp() AS clock"
        )
    finally:
        await connection.close()
    assert row is not None
    return Marks(**dict(row))


async def outbox_position(database_url: str) -> int:
    """The id of the last outbox row recorded so far (0 before the first)."""
    connection = await asyncpg.connect(database_url)
    try:
        position: int = await connection.fetchval(_OUTBOX_POSITION)
    finally:
        await connection.close()
    return position


@dataclass(frozen=True)
class Sample:
    """The backlog at one moment; None where its server could not be asked."""

    at: float  # time.monotonic()
    outbox: int | None  # rows recorded whose job is not known to be done (relayed or not)
    queue: int | None  # SAQ jobs relayed from them, not yet done (queued, running, retrying)
    oldest: int | None  # the smallest outbox id among both; None when both are empty

    @property
    def drained(self) -> bool:
        return self.outbox == 0 and self.queue == 0

    def done_up_to(self, position: int) -> bool:
        """Whether every job recorded up to outbox row `position` is done, as far as known:
        later work may still wait."""
        known = self.outbox is not None and self.queue is not None
        return known and (self.oldest is None or self.oldest > position)


class BacklogMonitor:
    """Samples, every `interval` seconds until stopped, the work recorded after outbox row
    `since`: rows still in the outbox, and their jobs not yet done in SAQ (keyed
    `outbox-<row id>` by the relay). Earlier work, and SAQ's cron jobs, are left out, so a
    backlog another scenario left behind does not count against this one."""

    def __init__(
        self, database_url: str, redis_url: str, since: int, interval: float = 0.1
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.since = since
        self.interval = interval
        self.samples: list[Sample] = []
        self.drained = asyncio.Event()  # set while the latest sample shows nothing waiting
        # The keys of the jobs not done at the latest sample, by their first outbox id.
        self.pending: list[str] = []
        self._connection: asyncpg.Connection | None = None

    async def run(self, stop: asyncio.Event) -> None:
        redis = Redis.from_url(self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        queue = RedisQueue(redis, name=QUEUE_NAME)
        try:
            while not stop.is_set():
                rows, jobs = await asyncio.gather(self._outbox(), self._queue(queue))
                oldest = min([*(rows or []), *(jobs or [])], default=None)
                sample = Sample(
                    time.monotonic(),
                    None if rows is None else len(rows),
                    None if jobs is None else len(jobs),
                    oldest,
                )
                self.samples.append(sample)
                if sample.drained:
                    self.drained.set()
                else:
                    self.drained.clear()
                with suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await stop.wait()
        finally:
            await redis.aclose()
            if self._connection is not None:
                await self._connection.close()

    async def _outbox(self) -> list[int] | None:
        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = await asyncpg.connect(self.database_url, timeout=1)
            rows = await self._connection.fetch(
                "SELECT id FROM outbox WHERE id > $1", self.since, timeout=1
            )
        except (
            OSError,
            TimeoutError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
        ):
            if self._connection is not None:
                self._connection.terminate()
            self._connection = None
            return None
        return [row["id"] for row in rows]

    async def _queue(self, queue: RedisQueue) -> list[int] | None:
        try:
            # Every job not yet done, whether queued, running or waiting to be retried.
            job_ids = await queue.redis.zrange(queue.namespace("incomplete"), 0, -1)
        except (OSError, RedisError, TimeoutError):
            return None
        found = (
            _OUTBOX_JOB.search(job_id.decode()) for job_id in job_ids if isinstance(job_id, bytes)
        )
        jobs = sorted(
            (int(match.group(2)), match.group(1))
            for match in found
            if match and int(match.group(2)) > self.since
        )
        self.pending = [key for _, key in jobs]
        return [first for first, _ in jobs]

    def done_after(self, since: float, position: int) -> float | None:
        """Seconds from `since` to the first sample showing every job recorded up to outbox
        row `position` done; None if none did."""
        for sample in self.samples:
            if sample.at >= since and sample.done_up_to(position):
                return sample.at - since
        return None

    def last_waiting(self, before: float, position: int) -> Sample | None:
        """The last sample before `before` with work recorded up to `position` not done."""
        waiting = [
            sample
            for sample in self.samples
            if sample.at < before and not sample.done_up_to(position)
        ]
        return waiting[-1] if waiting else None

    def drained_share(self, before: float) -> float:
        """The share of samples before `before` with nothing waiting at all: under load the
        backlog is only sometimes empty, and this says how often it was before the fault."""
        earlier = [sample for sample in self.samples if sample.at < before]
        return sum(sample.drained for sample in earlier) / len(earlier) if earlier else 0.0

    def peaks(self, since: float) -> tuple[int, int]:
        """The most outbox rows, and the most jobs not done, seen from `since` on."""
        later = [sample for sample in self.samples if sample.at >= since]
        return (
            max((sample.outbox or 0 for sample in later), default=0),
            max((sample.queue or 0 for sample in later), default=0),
        )

    async def wait_drained(self, seconds: float) -> None:
        """Return once nothing waits in the outbox or the queue, or after `seconds`."""
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.drained.wait()


async def job_states(redis_url: str, keys: Sequence[str]) -> list[str]:
    """What SAQ holds of the jobs of these keys: `<key> <status> (attempt n) in <lists>`, or
    `<key> unknown`; [] if Redis cannot be asked."""
    redis = Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    queue = RedisQueue(redis, name=QUEUE_NAME)
    try:
        jobs = await queue.jobs(keys)
        where = [
            await redis.lpos(queue.namespace(name), queue.job_id(key)) is not None
            for key in keys
            for name in ("queued", "active")
        ]
    except (OSError, RedisError, TimeoutError):
        return []
    finally:
        await redis.aclose()
    states = []
    for index, (key, job) in enumerate(zip(keys, jobs, strict=True)):
        lists = [
            n
            for n, found in zip(("queued", "active"), where[2 * index : 2 * index + 2], strict=True)
            if found
        ]
        described = "unknown" if job is None else f"{job.status.value} (attempt {job.attempts})"
        states.append(f"{key} {described} in {'+'.join(lists) or 'no list'}")
    return states


async def lost_writes(database_url: str, answers: Sequence[Answer]) -> Counter[str]:
    """Per kind, the acknowledged writes whose row PostgreSQL does not hold."""
    acked = [a for a in answers if a.acknowledged and a.kind in WRITES]
    lost: Counter[str] = Counter()
    # An acknowledged post or comment whose redirect named no id cannot be found: lost.
    for answer in acked:
        if not answer.ref:
            lost[answer.kind] += 1
    connection = await asyncpg.connect(database_url)
    try:
        for kind, table in (("post", "post"), ("comment", "comment")):
            ids = {a.ref[0] for a in acked if a.kind == kind and a.ref}
            rows = await connection.fetch(
                f"SELECT id FROM {table} WHERE id = ANY($1::bigint[])", list(ids)
            )
            lost[kind] += len(ids - {row["id"] for row in rows})
        for kind, statement in (
            ("like", 'SELECT "user", post FROM post_like WHERE ("user", post) IN'),
            ("follow", "SELECT follower, followed FROM follow WHERE (follower, followed) IN"),
        ):
            pairs = {a.ref for a in acked if a.kind == kind and a.ref}
            rows = await connection.fetch(
                statement + " (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
                [pair[0] for pair in pairs],
                [pair[1] for pair in pairs],
            )
            lost[kind] += len(pairs - {(row[0], row[1]) for row in rows})
    finally:
        await connection.close()
    return +lost


# What each like, comment and follow made since the marks should have notified, and did not.
_UNNOTIFIED = """
SELECT
 (SELECT count(*) FROM post_like l JOIN post p ON p.id = l.post
  WHERE l.created_at >= $1 AND p.author <> l."user" AND NOT EXISTS (
   SELECT 1 FROM notification n WHERE n.kind = 'like' AND n.recipient = p.author
   AND n.actor = l."user" AND n.post = l.post)) AS "like",
 (SELECT count(*) FROM comment c JOIN post p ON p.id = c.post
  WHERE c.id > $2 AND c.parent IS NULL AND p.author <> c.author AND NOT EXISTS (
   SELECT 1 FROM notification n WHERE n.kind = 'comment' AND n.comment = c.id)) AS comment,
 (SELECT count(*) FROM follow f
  WHERE f.created_at >= $1 AND NOT EXISTS (
   SELECT 1 FROM notification n WHERE n.kind = 'follow' AND n.recipient = f.followed
   AND n.actor = f.follower)) AS follow
"""
# Groups of identical notifications with at least one made since the marks: NULL post and
# comment (a follow) group together here, as a person would count them.
_DUPLICATES = """
SELECT coalesce(sum(copies - 1), 0) FROM (
 SELECT count(*) AS copies FROM notification
 GROUP BY recipient, actor, kind, post, comment
 HAVING count(*) > 1 AND max(id) > $1) AS twins
"""


@dataclass(frozen=True)
class Notifications:
    duplicates: int
    missing: Counter[str]


async def check_notifications(database_url: str, marks: Marks) -> Notifications:
    connection = await asyncpg.connect(database_url)
    try:
        duplicates = await connection.fetchval(_DUPLICATES, marks.notification_id)
        row = await connection.fetchrow(_UNNOTIFIED, marks.clock, marks.comment_id)
    finally:
        await connection.close()
    assert row is not None
    return Notifications(int(duplicates), +Counter(dict(row.items())))


_HOME_SINCE = """
SELECT id FROM post WHERE id > $2
AND (author = $1 OR author IN (SELECT followed FROM follow WHERE follower = $1))
"""


@dataclass(frozen=True)
class Timelines:
    checked: int  # posts that belong in the members' home timelines, counted per member
    missing: int  # of those, not shown on the member's home pages
    unreadable: int  # members whose home pages could not be read to the end
    examples: list[tuple[str, int]]  # a few (member, post id) missing, to start a reproduction


async def check_timelines(database_url: str, members: Sequence[Member], marks: Marks) -> Timelines:
    """Walk each member's home page (`GET /`, then "Older posts") back to the scenario's first
    post and compare what it shows with the posts PostgreSQL says belong there."""
    connection = await asyncpg.connect(database_url)
    try:
        expected = {
            member.username: {
                row["id"]
                for row in await connection.fetch(_HOME_SINCE, member.user_id, marks.post_id)
            }
            for member in members
        }
    finally:
        await connection.close()
    checked = unreadable = 0
    missing: list[tuple[str, int]] = []
    for member in members:
        shown, complete = await _home_ids_since(member, marks.post_id)
        unreadable += not complete
        checked += len(expected[member.username])
        missing += [(member.username, post) for post in sorted(expected[member.username] - shown)]
    return Timelines(checked, len(missing), unreadable, missing[:5])


async def _home_ids_since(member: Member, post_id: int) -> tuple[set[int], bool]:
    """The post ids of the member's home pages down to `post_id`, and whether all were read."""
    shown: set[int] = set()
    url = "/"
    for _ in range(MAX_PAGES):
        response = await member.client.get(url)
        if response.status_code != 200:
            return shown, False
        ids = [int(found) for found in _POST_ID.findall(response.text)]
        shown.update(ids)
        older = _OLDER_LINK.search(response.text)
        if older is None or not ids or min(ids) <= post_id:
            return shown, True
        url = html.unescape(older.group(1))
    return shown, False
