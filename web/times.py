"""How pages show when something was posted: a short relative time ("5m", "3h", "2d", then a
date) with the full time beside it for hover and for screen readers. agora.js recomputes both
the same way in the browser, every minute and in the reader's own time zone and language."""

from __future__ import annotations

from datetime import UTC, datetime

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Past this age a post shows its date rather than a count of days.
DAYS_SHOWN = 7


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """ "now" under a minute, then "5m", "3h", "2d" up to DAYS_SHOWN days, then "5 Mar" (this
    year) or "5 Mar 2025". A moment in the future (clocks disagree a little) is "now"."""
    now = now or datetime.now(UTC)
    seconds = int((now - moment).total_seconds())
    if seconds < MINUTE:
        return "now"
    if seconds < HOUR:
        return f"{seconds // MINUTE}m"
    if seconds < DAY:
        return f"{seconds // HOUR}h"
    if seconds < DAYS_SHOWN * DAY:
        return f"{seconds // DAY}d"
    moment = moment.astimezone(UTC)
    if moment.year == now.year:
        return f"{moment.day} {moment:%b}"
    return f"{moment.day} {moment:%b %Y}"


def absolute_time(moment: datetime) -> str:
    """The full time in UTC, as "1 December 2026, 03:47 UTC"."""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"
