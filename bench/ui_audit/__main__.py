"""`python -m bench.ui_audit` (what scripts/ui_audit.sh runs): seed a database of its own,
serve Agora as the Procfile does, run Lighthouse on the main pages, photograph every page
type, and write the figures into docs/UI_AUDIT.md. Exits 1 when a page misses the gate.

    python -m bench.ui_audit [--runs 3] [--screenshots-only]

UI_AUDIT_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/agora_ui_audit; dropped
and re-created) and UI_AUDIT_REDIS_URL (default redis://127.0.0.1:6379/12; emptied) name the
services it may wipe.
"""

from __future__ import annotations

import argparse
import os
import sys

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/agora_ui_audit"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_audit", description=__doc__)
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="Lighthouse runs per page; the median counts (default 3)",
    )
    parser.add_argument(
        "--screenshots-only",
        action="store_true",
        help="take the screenshots only; leave the Lighthouse figures as they are",
    )
    options = parser.parse_args(argv)
    # The audit serves the app as the browser tests do (tests/conftest.py's settings, with
    # start_web), and those settings are read once, at first import, from TEST_*: they must
    # name the audit's own services before anything is imported.
    os.environ["TEST_DATABASE_URL"] = os.environ.get("UI_AUDIT_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["TEST_REDIS_URL"] = os.environ.get("UI_AUDIT_REDIS_URL", DEFAULT_REDIS_URL)
    from bench.ui_audit.run import run

    if options.runs < 1:
        parser.error("--runs must be at least 1")
    return run(lighthouse_runs=0 if options.screenshots_only else options.runs)


if __name__ == "__main__":
    sys.exit(main())
