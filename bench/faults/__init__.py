"""Fault tests: Agora's servers killed and restarted under write load, and what survived.

    python -m bench.faults [--scenario NAME ...] [--quick]

Runs every scenario (or the named ones) against servers of its own, started and stopped here:
a PostgreSQL cluster and a redis-server on free ports of 127.0.0.1, the release step, the web
process and the worker. See docs/RELIABILITY.md for the scenarios, the targets and the last
figures; tests/test_faults.py runs the quick version of each in the normal suite.
"""
