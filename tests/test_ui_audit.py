"""The UI audit's own logic (bench/ui_audit): reading Lighthouse reports, the gate, the median
run, and writing the figures between the doc's markers. The audit itself runs Lighthouse and a
browser, so it is run by scripts/ui_audit.sh, not here."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from bench.ui_audit.lighthouse import median_run, read_report
from bench.ui_audit.report import DOC, GALLERY, RESULTS, gallery, replace_block, results_table
from bench.ui_audit.screenshots import SCHEMES, SCREENS, file_name, shrink
from bench.ui_audit.seed import long_text
from domain.posts import MAX_POST_LENGTH


def report(scores: Mapping[str, float | None], failing: str | None = None) -> dict[str, Any]:
    """A Lighthouse report of the shape its JSON has: every category with two weighted
    audits and one of weight 0; `failing` names the category whose first audit failed."""
    categories: dict[str, Any] = {}
    audits: dict[str, Any] = {}
    for category, score in scores.items():
        refs = []
        for number, weight in enumerate((1, 3, 0)):
            audit_id = f"{category}-{number}"
            passed = not (category == failing and number == 0)
            audits[audit_id] = {"title": f"Audit {audit_id}", "score": 1 if passed else 0}
            refs.append({"id": audit_id, "weight": weight})
        audits[f"{category}-na"] = {"title": "Not applicable", "score": None}
        refs.append({"id": f"{category}-na", "weight": 2})
        categories[category] = {"score": score, "auditRefs": refs}
    return {"categories": categories, "audits": audits, "lighthouseVersion": "12.8.2"}


SCORES = {"accessibility": 1.0, "best-practices": 0.96, "performance": 0.99, "seo": 0.9}


def test_a_report_gives_scores_out_of_100_and_the_audits_that_cost_points() -> None:
    page = read_report("home", "/", report({**SCORES, "accessibility": 0.93}, "accessibility"))
    assert page.scores == {
        "accessibility": 93,
        "best-practices": 96,
        "performance": 99,
        "seo": 90,
    }
    assert page.shortfalls == {
        "accessibility": ["Audit accessibility-0"],
        "best-practices": [],
        "performance": [],
    }
    assert page.failures() == ["accessibility 93 < 100"]


@pytest.mark.parametrize(
    ("category", "score", "failure"),
    [
        ("best-practices", 0.94, "best-practices 94 < 95"),
        ("performance", 0.9, "performance 90 < 95"),
        ("performance", None, "performance None < 95"),
    ],
)
def test_the_gate_fails_a_page_below_its_targets(
    category: str, score: float | None, failure: str
) -> None:
    page = read_report("home", "/", report({**SCORES, category: score}))
    assert page.failures() == [failure]


def test_a_costly_audit_names_its_measure_or_the_resources_it_blames() -> None:
    raw = report(SCORES, "best-practices")
    raw["audits"]["best-practices-0"]["details"] = {
        "items": [
            {"source": "network", "sourceLocation": {"url": "http://127.0.0.1:8000/favicon.ico"}},
            {"url": "http://127.0.0.1:8000/static/site.css?v=1"},
        ]
    }
    raw["audits"]["performance-1"].update(score=0.5, displayValue="2.1 s")
    page = read_report("home", "/", raw)
    assert page.shortfalls["best-practices"] == [
        "Audit best-practices-0 (/favicon.ico, /static/site.css)"
    ]
    assert page.shortfalls["performance"] == ["Audit performance-1 (2.1 s)"]


def test_seo_is_reported_but_not_gated() -> None:
    assert read_report("home", "/", report({**SCORES, "seo": 0.5})).failures() == []


def test_the_median_run_by_performance_counts() -> None:
    runs = [
        read_report("home", "/", report({**SCORES, "performance": p})) for p in (0.7, 0.99, 0.9)
    ]
    assert median_run(runs).scores["performance"] == 90


def test_figures_replace_only_what_lies_between_their_markers() -> None:
    page = read_report("explore", "/explore", report({**SCORES, "performance": 0.8}))
    table = results_table([page], "abc1234", datetime(2026, 12, 1, 4, 0, tzinfo=UTC), "Busy.")
    text = f"Intro\n{RESULTS[0]}\nold figures\n{RESULTS[1]}\nOutro\n"
    written = replace_block(text, RESULTS, table)
    assert written.startswith("Intro\n") and written.endswith(f"{RESULTS[1]}\nOutro\n")
    assert "old figures" not in written
    assert "| explore | `/explore` | 100 | 96 | 80 | 90 |" in written
    assert "failed: explore: performance 80 < 95" in written
    assert "2026-12-01 04:00 UTC at commit `abc1234`" in written
    with pytest.raises(ValueError, match="lacks the markers"):
        replace_block("no markers here", RESULTS, table)


def test_the_doc_has_both_blocks_and_links_every_screenshot_by_its_file_name() -> None:
    text = DOC.read_text()
    for start, end in (RESULTS, GALLERY):
        assert text.index(start) < text.index(end)
    links = gallery(["home", "login"])
    for page in ("home", "login"):
        for screen in SCREENS:
            for scheme in SCHEMES:
                assert f"(screenshots/{file_name(page, screen, scheme)})" in links


def test_screenshots_are_kept_as_small_palette_pngs() -> None:
    image = Image.new("RGB", (360, 640), (240, 242, 245))
    image.paste((30, 60, 160), (20, 20, 340, 80))
    raw = io.BytesIO()
    image.save(raw, "PNG")
    small = Image.open(io.BytesIO(shrink(raw.getvalue())))
    assert small.mode == "P" and small.size == (360, 640)
    assert small.convert("RGB").getpixel((30, 30)) == (30, 60, 160)


def test_long_posts_are_as_long_as_allowed_and_differ() -> None:
    texts = {long_text(number, "reader") for number in range(5)}
    assert len(texts) == 5
    assert all(MAX_POST_LENGTH - 1 <= len(text) <= MAX_POST_LENGTH for text in texts)
    assert all("@reader" in text and "#cycling" in text and "https://" in text for text in texts)
