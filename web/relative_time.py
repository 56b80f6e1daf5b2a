"""How long ago something happened, in words, for `<time data-relative>` elements: the page
renders this text, and the browser's script refreshes it while the page stays open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_UNITS = (
    (timedelta(days=1), "day"),
    (timedelta(hours=1), "hour"),
    (timedelta(minutes=1), "minute"),
)


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "3 hours ago", "2 days ago" within a week, and after that
    the date: "1 Dec" this year, "1 Dec 2025" before. `moment` is timezone-aware; `now`
    defaults to the current time (a moment ahead of it, from clock skew, is "just now")."""
    now = now or datetime.now(UTC)
    elapsed = now - moment
    if elapsed >= timedelta(days=7):
        day = moment.astimezone(UTC)
        return f"{day.day} {day:%b}" + (f" {day.year}" if day.year != now.year else "")
    for size, unit in _UNITS:
        if elapsed >= size:
            count = elapsed // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
