"""Lighthouse, the version pinned in tools/ui-audit, on one page: its four category scores
and the audits that cost points. Default (mobile) settings, Debian's Chromium, headless."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TOOL_DIR = Path(__file__).resolve().parents[2] / "tools" / "ui-audit"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = ("accessibility", "best-practices", "performance", "seo")
# The gate: the lowest score accepted per category (SEO is reported, not gated).
REQUIRED = {"accessibility": 100, "best-practices": 95, "performance": 95}
RUN_TIMEOUT_SECONDS = 300
# On a busy machine Lighthouse now and then loses the trace of a load (NO_NAVSTART) and asks
# to be run again.
ATTEMPTS = 3


@dataclass(frozen=True)
class PageScores:
    """One page's scores (0 to 100 by category id; None when Lighthouse could not score
    it) and, per gated category, the titles of the audits that cost it points."""

    page: str
    path: str
    scores: dict[str, int | None]
    shortfalls: dict[str, list[str]]
    lighthouse_version: str

    def failures(self) -> list[str]:
        """The gated categories below their required score, e.g. ['performance 91 < 95']."""
        return [
            f"{category} {self.scores[category]} < {minimum}"
            for category, minimum in REQUIRED.items()
            if (self.scores[category] or 0) < minimum
        ]


def audit_page(
    page: str, base_url: str, path: str, workdir: Path, cookie: str | None
) -> PageScores:
    """Run Lighthouse on `base_url + path`, sending `cookie` (a Cookie header's value) with
    every request when given; its JSON report is kept in `workdir`.

    Raises subprocess.CalledProcessError when Lighthouse fails ATTEMPTS times in a row.
    """
    handle, name = tempfile.mkstemp(prefix=f"lighthouse-{page}-", suffix=".json", dir=workdir)
    os.close(handle)
    report = Path(name)
    command = [
        *("npx", "--no-install", "lighthouse", base_url + path, "--quiet"),
        *("--output=json", f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}"),
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    if cookie is not None:
        headers = workdir / "extra-headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))
        command.append(f"--extra-headers={headers}")
    for attempt in range(1, ATTEMPTS + 1):
        finished = subprocess.run(
            command,
            cwd=TOOL_DIR,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=attempt == ATTEMPTS,
            timeout=RUN_TIMEOUT_SECONDS,
        )
        if finished.returncode == 0:
            break
        print(f"  Lighthouse failed on {path} (attempt {attempt} of {ATTEMPTS}); again")
    return read_report(page, path, json.loads(report.read_text()))


def median_run(runs: list[PageScores]) -> PageScores:
    """Of several runs on one page, the one with the median performance score: Lighthouse's
    own advice against its run-to-run variance, which a busy machine makes larger."""
    ordered = sorted(runs, key=lambda run: run.scores["performance"] or 0)
    return ordered[len(ordered) // 2]


def read_report(page: str, path: str, report: dict[str, Any]) -> PageScores:
    """The scores and shortfalls in a Lighthouse JSON report (its `categories`, `audits`
    and `lighthouseVersion`)."""
    scores: dict[str, int | None] = {}
    shortfalls: dict[str, list[str]] = {}
    for name in CATEGORIES:
        category = report["categories"][name]
        score = category["score"]
        scores[name] = None if score is None else round(score * 100)
        if name in REQUIRED:
            audits = [report["audits"][ref["id"]] for ref in category["auditRefs"] if ref["weight"]]
            shortfalls[name] = [_described(audit) for audit in audits if _cost_points(audit)]
    return PageScores(page, path, scores, shortfalls, report["lighthouseVersion"])


def _cost_points(audit: dict[str, Any]) -> bool:
    # Audits that do not apply to the page, or are only informative, have no score.
    return audit["score"] is not None and audit["score"] < 1


def _described(audit: dict[str, Any]) -> str:
    """The audit's title with its measure ("2.1 s") or the paths of the resources it blames,
    e.g. 'Browser errors were logged to the console (/favicon.ico)'."""
    items = audit.get("details", {}).get("items", [])
    urls = {item.get("url") or item.get("sourceLocation", {}).get("url") for item in items}
    paths = sorted(urlsplit(url).path for url in urls if url)
    detail = audit.get("displayValue") or ", ".join(paths[:3])
    return f"{audit['title']} ({detail})" if detail else str(audit["title"])
