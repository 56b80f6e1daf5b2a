"""The load's measuring client: HTTP/1.1 over one kept-alive socket, and nothing more.

The load client shares this machine's two cores with the server it measures, PostgreSQL and
Redis, so every millisecond it spends is taken from them. A general client (httpx) spends
about a millisecond of CPU per request on cookies, URL parsing and header objects; this one
sends prebuilt request bytes and reads only the status and the body's length, which costs a
fraction of that. Setting up (logging in, finding URLs) still uses httpx, where cost does not
matter.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from urllib.parse import urlsplit

_HEAD_END = b"\r\n\r\n"


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.1 this client can read."""


def build_request(
    method: str, base_url: str, path: str, cookies: dict[str, str], headers: dict[str, str]
) -> bytes:
    """The bytes of one request, built once and sent again and again."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {urlsplit(base_url).netloc}",
        "Accept: text/html",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if method != "GET":
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class KeepAliveConnection:
    """One client's connection: opened on first use, reopened after an error or a close."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> tuple[int, int]:
        """Send the request and read the whole answer: (status, body length in bytes).

        A kept-alive connection the server closed while it sat idle (uvicorn closes them
        after 5 s, as when a client has nothing to request in one scenario) fails before any
        answer arrives; that request is sent once more on a new connection, as browsers and
        httpx do."""
        reused = self._writer is not None
        try:
            return await self._exchange_once(request)
        except (asyncio.IncompleteReadError, ConnectionError) as failure:
            answered = isinstance(failure, asyncio.IncompleteReadError) and failure.partial
            if not reused or answered:
                raise
            return await self._exchange_once(request)

    async def _exchange_once(self, request: bytes) -> tuple[int, int]:
        try:
            if self._reader is None or self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self.tls or None
                )
            self._writer.write(request)
            return await self._read_response(self._reader)
        except BaseException:
            await self.close()  # a half-read answer would poison the next one
            raise

    async def _read_response(self, reader: asyncio.StreamReader) -> tuple[int, int]:
        head = await reader.readuntil(_HEAD_END)
        if not head.startswith(b"HTTP/1.1 "):
            raise ProtocolError(f"not an HTTP/1.1 answer: {head[:40]!r}")
        status = int(head[9:12])
        length, chunked, closing = _framing(head)
        if chunked:
            size = await _read_chunked(reader)
        else:
            await reader.readexactly(length)
            size = length
        if closing:
            await self.close()
        return status, size

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with suppress(OSError):  # already gone: closing is all that was asked
                await writer.wait_closed()


def _framing(head: bytes) -> tuple[int, bool, bool]:
    """Content-Length, whether the body is chunked, and whether the server closes after it."""
    length, chunked, closing = 0, False, False
    for line in head.lower().split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            closing = b"close" in value
    return length, chunked, closing


async def _read_chunked(reader: asyncio.StreamReader) -> int:
    size = 0
    while True:
        chunk_size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if chunk_size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent; this ends the body
            return size
        await reader.readexactly(chunk_size + 2)
        size += chunk_size
