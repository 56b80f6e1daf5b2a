"""Run the fault scenarios and print their figures; exit status 1 if a target is missed."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bench.faults.scenarios import (
    QUICK,
    SCENARIOS,
    FaultOptions,
    Figures,
    run_scenario,
    running_harness,
)
from bench.faults.servers import ROOT, StackOptions, StartError


def parse_args(argv: Sequence[str] | None) -> tuple[list[str], FaultOptions, StackOptions]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description="Kill and restart Agora's servers under load and measure what survived.",
    )
    parser.add_argument(
        "--scenario", action="append", choices=list(SCENARIOS), help="run only these (repeatable)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="the short version tests/test_faults.py runs"
    )
    parser.add_argument("--clients", type=int, default=StackOptions().clients)
    parser.add_argument("--outage", type=float, help="seconds each server stays down")
    parser.add_argument("--before", type=float, help="seconds of load before the fault")
    parser.add_argument("--after", type=float, help="seconds of load after the return")
    parser.add_argument("--think", type=float, help="each client's pause between requests")
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    options = QUICK if args.quick else FaultOptions()
    chosen = {
        name: getattr(args, name)
        for name in ("outage", "before", "after", "think")
        if getattr(args, name) is not None
    }
    return (
        args.scenario or list(SCENARIOS),
        replace(options, **chosen),
        StackOptions(clients=args.clients),
    )


async def run(names: Sequence[str], options: FaultOptions, stack: StackOptions) -> list[Figures]:
    results = []
    async with running_harness(stack) as harness:
        for name in names:
            print(f"running {name} ...", flush=True)
            figures = await run_scenario(harness, name, options)
            print(figures.report(), flush=True)
            results.append(figures)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    names, options, stack = parse_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"bench.faults at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'},"
        f" load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    try:
        results = asyncio.run(run(names, options, stack))
    except StartError as error:
        print(f"bench.faults: {error}", file=sys.stderr)
        return 2
    print("\nsummary:")
    for figures in results:
        missed = figures.missed()
        verdict = "; ".join(missed) if missed else "all targets met"
        print(f"  {figures.scenario.name:<17} {verdict}")
    return 1 if any(figures.missed() for figures in results) else 0


if __name__ == "__main__":
    sys.exit(main())
