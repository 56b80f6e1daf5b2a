"""Server-Sent Events as Mastodon writes them: lines ended by a bare newline (Mastodon.py
reads nothing else) and comments that carry no empty `data:` line along with them."""

from __future__ import annotations

from litestar.response import ServerSentEventMessage


def event(name: str, data: str) -> ServerSentEventMessage:
    """`event: name` and `data: data`, one `data:` line per line of `data`."""
    return ServerSentEventMessage(data=data, event=name, sep="\n")


def comment(text: str, retry_ms: int | None = None) -> ServerSentEventMessage:
    """`: text` (a heartbeat or greeting clients ignore), and the reconnection delay."""
    return ServerSentEventMessage(data=None, comment=text, retry=retry_ms, sep="\n")
