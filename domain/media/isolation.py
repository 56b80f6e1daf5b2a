"""Pillow's work run in a child process of its own, under a memory and a CPU-time limit.

Decoding is where an image costs: a file of a few kilobytes can unpack to gigabytes, and a
Python process seldom hands freed memory back to the system. So every decode runs in a fresh
child forked from a small fork server, which holds none of the web process's (or the
worker's) memory and has `domain.media` already imported, so a child starts in milliseconds.
The child is capped (`RLIMIT_AS`, `RLIMIT_CPU`) and exits when its one job is done, returning
all it used. A child that runs out of memory or time fails alone, as `OverLimit`; a pool of
long-lived workers would instead break every job in flight with it, failing other people's
uploads whenever one person sent a bomb. At most `DECODERS` children run at once; further
jobs wait their turn.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Children at once: the work is CPU-bound, and more would only share the same cores.
DECODERS = 2
# A child's whole address space (interpreter and libraries included), in bytes. Cleaning a
# 40-megapixel frame peaks near 750 MB resident as a PNG (decoded, converted and copied
# pixels) and near 1.2 GB as a WebP (libwebp's encoder).
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024
# A child's CPU time, in seconds; the largest image the budgets allow takes about 6 s.
CPU_LIMIT_SECONDS = 30
# Imported once by the fork server, so that children start with them loaded.
PRELOADED = ["domain.media.images"]


class OverLimit(RuntimeError):
    """The job ran out of memory or CPU time in its child (or the child was killed)."""


_waiters: ThreadPoolExecutor | None = None
_start_lock = threading.Lock()


def _limit_child(memory_bytes: int, cpu_seconds: int) -> None:
    """In the child, before its job: past the soft CPU limit the kernel kills it (SIGXCPU)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _guarded(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """In the child: a MemoryError becomes OverLimit, the one failure a caller expects."""
    try:
        return function(*args, **kwargs)
    except MemoryError as error:
        raise OverLimit("out of memory") from error


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    # Read when the fork server starts (once per process, on the first job); the setting is
    # the process's, not this context's. As with any non-fork start, each child imports the
    # parent's main script again, as `__mp_main__`: uvicorn's, saq's and pytest's are guarded.
    context.set_forkserver_preload(PRELOADED)
    return context


def _in_child(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `function` in a fresh limited child and wait for it (blocking)."""
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=_context(),
        initializer=_limit_child,
        initargs=(MEMORY_LIMIT_BYTES, CPU_LIMIT_SECONDS),
    ) as child:
        try:
            return child.submit(partial(_guarded, function, *args, **kwargs)).result()
        except BrokenProcessPool as error:
            raise OverLimit("the child process died") from error


def _waiting_threads() -> ThreadPoolExecutor:
    """The threads that each wait on one child; their number caps the children at once."""
    global _waiters
    with _start_lock:
        if _waiters is None:
            _waiters = ThreadPoolExecutor(max_workers=DECODERS, thread_name_prefix="decoder")
        return _waiters


async def run_isolated(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` run in a limited child process, without blocking the event
    loop. `function` and its arguments and result must pickle (a module-level function).
    Raises what `function` raises, or OverLimit."""
    loop = asyncio.get_running_loop()
    job = partial(_in_child, function, *args, **kwargs)
    return await loop.run_in_executor(_waiting_threads(), job)


def run_isolated_blocking(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`run_isolated` for code already off the event loop (such as a job's thread)."""
    job = partial(_in_child, function, *args, **kwargs)
    return _waiting_threads().submit(job).result()
