"""The audit's figures as Markdown, written between markers into docs/UI_AUDIT.md so that the
prose around them stays as people wrote it."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.ui_audit.lighthouse import REQUIRED, PageScores
from bench.ui_audit.screenshots import SCHEMES, SCREENS, file_name

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "UI_AUDIT.md"
RESULTS = (
    "<!-- ui-audit results: written by scripts/ui_audit.sh -->",
    "<!-- /ui-audit results -->",
)
GALLERY = (
    "<!-- ui-audit screenshots: written by scripts/ui_audit.sh -->",
    "<!-- /ui-audit screenshots -->",
)


def commit_description() -> str:
    """The checked-out commit, e.g. `1a2b3c4` or `1a2b3c4 plus uncommitted changes`."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    return f"{commit} plus uncommitted changes" if git("status", "--porcelain") else commit


def _score(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def results_table(results: list[PageScores], commit: str, when: datetime, load: str) -> str:
    """The scores per page, the gate's verdict and what cost points, as Markdown; `load`
    says how busy the machine was."""
    failures = [f"{r.page}: {failure}" for r in results for failure in r.failures()]
    gate = ", ".join(f"{c} ≥ {m}" for c, m in REQUIRED.items())
    version = results[0].lighthouse_version if results else "?"
    lines = [
        f"Measured {when:%Y-%m-%d %H:%M} UTC at commit `{commit}` with Lighthouse {version} "
        "(default mobile settings: simulated slow 4G and a CPU 4 times slower), the median "
        f"run of each page by performance. {load}",
        "",
        f"Gate ({gate}): **{'failed: ' + '; '.join(failures) if failures else 'passed'}**.",
        "",
        "| page | URL | accessibility | best practices | performance | SEO |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        scores = [_score(r.scores[c]) for c in ("accessibility", "best-practices", "performance")]
        lines.append(
            f"| {r.page} | `{r.path}` | {' | '.join(scores)} | {_score(r.scores['seo'])} |"
        )
    costly = [
        f"- {r.page}, {category}: {'; '.join(titles)}"
        for r in results
        for category, titles in r.shortfalls.items()
        if titles
    ]
    if costly:
        lines += ["", "Audits that cost points:", "", *costly]
    return "\n".join(lines)


def gallery(pages: list[str]) -> str:
    """A table linking every screenshot: a row per page, a column per screen and scheme."""
    columns = [(screen, scheme) for screen in SCREENS for scheme in SCHEMES]
    header = " | ".join(
        f"{screen} {w} x {h}, {scheme}" for screen, (w, h) in SCREENS.items() for scheme in SCHEMES
    )
    lines = [f"| page | {header} |", "| --- |" + " --- |" * len(columns)]
    for page in pages:
        links = [
            f"[{scheme}](screenshots/{file_name(page, screen, scheme)})"
            for screen, scheme in columns
        ]
        lines.append(f"| {page} | {' | '.join(links)} |")
    return "\n".join(lines)


def replace_block(text: str, markers: tuple[str, str], content: str) -> str:
    """`text` with what lies between the two markers replaced by `content`.

    Raises ValueError when the markers are missing: the doc's prose says where figures go.
    """
    start, end = markers
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"{DOC} lacks the markers {start} … {end}")
    return pattern.sub(lambda _: f"{start}\n{content}\n{end}", text)


def write_doc(
    results: list[PageScores] | None, pages: list[str], commit: str, load: str = ""
) -> None:
    """Rewrite the figures in docs/UI_AUDIT.md: the scores (unless `results` is None, when
    Lighthouse was not run) and the screenshot gallery."""
    text = DOC.read_text()
    if results is not None:
        table = results_table(results, commit, datetime.now(UTC), load)
        text = replace_block(text, RESULTS, table)
    DOC.write_text(replace_block(text, GALLERY, gallery(pages)))
