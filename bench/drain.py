"""Time one worker through a backlog: how many outbox jobs a second it runs, and the CPU each
costs it.

    python -m bench.drain [--clients 8] [--seconds 10] [--runs 2]

It starts servers of its own, as bench.faults does (PostgreSQL, Redis, the release step and
the web process on a seeded graph), with the worker stopped. For each run the clients write
for --seconds (posts, likes, comments and follows, bench.faults.traffic), so the outbox fills
with the mix real traffic records and the web process relays it to the queue; then the load
stops, the worker starts, and the time from its start-up line to an empty outbox is the
drain. Printed per run: the jobs, the seconds, jobs a second, and the CPU time (user and
system) the worker and the web process (which relays) spent per job meanwhile. The worker's
start-up is not counted: its clock and CPU figures start once it logs that it is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from bench.faults.scenarios import running_harness
from bench.faults.servers import Stack, StackOptions, StartError
from bench.faults.traffic import Traffic
from bench.load import process_cpu_seconds
from tasks.queue import QUEUE_NAME

POLL_SECONDS = 0.05
DRAIN_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Drain:
    """One run's figures: `jobs` outbox rows drained in `seconds`; CPU seconds spent meanwhile."""

    jobs: int
    queued: int  # SAQ jobs holding them
    seconds: float
    worker_cpu: float
    web_cpu: float

    def report(self) -> str:
        per_job = 1000 / max(self.jobs, 1)
        return (
            f"{self.jobs} jobs ({self.jobs / max(self.queued, 1):.1f} a SAQ job)"
            f" in {self.seconds:.2f} s: {self.jobs / self.seconds:.0f} jobs/s;"
            f" worker CPU {self.worker_cpu * per_job:.2f} ms/job,"
            f" web CPU {self.web_cpu * per_job:.2f} ms/job"
        )


async def _outbox_rows(connection: asyncpg.Connection) -> int:
    count: int = await connection.fetchval("SELECT count(*) FROM outbox")
    return count


def _cpu(pid: int | None) -> float:
    seconds = process_cpu_seconds(pid) if pid is not None else None
    if seconds is None:
        raise StartError("a server exited during the drain")
    return seconds


async def one_run(stack: Stack, traffic: Traffic, load_seconds: float) -> Drain:
    """Fill the outbox with the worker stopped, then time the worker through it."""
    connection = await asyncpg.connect(stack.postgres.url)
    try:
        stack.worker.stop()
        traffic.start()
        await asyncio.sleep(load_seconds)
        await traffic.stop()
        jobs = await _outbox_rows(connection)
        queue = RedisQueue(Redis.from_url(stack.redis.url), name=QUEUE_NAME)
        queued = await queue.count("queued")
        await queue.disconnect()
        await stack.start_worker()
        start, worker_cpu, web_cpu = time.monotonic(), _cpu(stack.worker.pid), _cpu(stack.web.pid)
        deadline = start + DRAIN_TIMEOUT_SECONDS
        while await _outbox_rows(connection):
            if time.monotonic() > deadline:
                raise StartError(f"the outbox did not drain in {DRAIN_TIMEOUT_SECONDS:.0f} s")
            await asyncio.sleep(POLL_SECONDS)
        return Drain(
            jobs,
            queued,
            time.monotonic() - start,
            _cpu(stack.worker.pid) - worker_cpu,
            _cpu(stack.web.pid) - web_cpu,
        )
    finally:
        await connection.close()


async def run(clients: int, load_seconds: float, runs: int) -> list[Drain]:
    options = StackOptions(clients=clients)
    results = []
    async with running_harness(options) as harness:
        for number in range(runs):
            traffic = Traffic(harness.members, f"drain{number}", options.posts, think=0.0)
            drain = await one_run(harness.stack, traffic, load_seconds)
            print(f"run {number + 1}: {drain.report()}", flush=True)
            results.append(drain)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drain", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="of load before each drain")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        asyncio.run(run(args.clients, args.seconds, args.runs))
    except StartError as error:
        print(f"bench.drain: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
