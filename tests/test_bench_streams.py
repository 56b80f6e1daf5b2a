"""bench.streams' report: the figures it prints are computed from what it measured."""

from __future__ import annotations

from bench.load import Result
from bench.streams import Figures, format_report, parse_args


def test_the_report_divides_memory_by_connections_and_pages_by_pages() -> None:
    without, with_streams = Result("home page 1", seconds=1.0), Result("home page 1", seconds=1.0)
    without.latencies = [0.01] * 200
    with_streams.latencies = [0.01] * 180
    figures = Figures(
        rss_before_kib=100 * 1024,
        rss_after_kib=100 * 1024 + 1200 * 40,
        opened=1200,
        delivery=[i / 1000 for i in range(1, 101)],
        without=without,
        with_streams=with_streams,
    )
    report = format_report(figures)
    assert "40.0 KiB per connection" in report
    assert "p50 50 ms, p99 99 ms over 100 posts" in report
    assert "200 req/s without streams, 180 req/s with them: ratio 0.90" in report


def test_the_defaults_hold_what_the_issue_asks_for() -> None:
    options = parse_args(["--base-url", "http://127.0.0.1:9/"])
    assert (options.sse, options.ws, options.base_url) == (1000, 200, "http://127.0.0.1:9")
