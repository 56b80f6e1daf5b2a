"""The load's bare HTTP/1.1 client against small real servers: framing, keep-alive, and a
connection the server dropped while it sat idle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bench.keepalive import KeepAliveConnection, build_request

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
REQUEST = build_request("GET", "http://127.0.0.1", "/", {"agora_session": "s"}, {})


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


def test_a_request_is_sent_as_built() -> None:
    request = build_request(
        "POST",
        "http://127.0.0.1:8000",
        "/posts/1/like",
        {"a": "1", "b": "2"},
        {"HX-Request": "true"},
    )
    assert request == (
        b"POST /posts/1/like HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: text/html\r\n"
        b"Cookie: a=1; b=2\r\nHX-Request: true\r\nContent-Length: 0\r\n\r\n"
    )


async def test_answers_by_length_and_in_chunks_share_one_connection() -> None:
    connections = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n"
        )
        await writer.drain()
        await reader.read()  # until the client closes

    async with serving(answer) as base_url:
        connection = KeepAliveConnection(base_url)
        assert await connection.exchange(REQUEST) == (200, 5)
        assert await connection.exchange(REQUEST) == (404, 7)
        await connection.close()
    assert connections == 1


async def test_a_connection_closed_while_idle_is_reopened_once() -> None:
    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # as uvicorn does to a kept-alive connection left idle too long

    async with serving(answer_once) as base_url:
        connection = KeepAliveConnection(base_url)
        assert await connection.exchange(REQUEST) == (200, 2)
        await asyncio.sleep(0.05)
        assert await connection.exchange(REQUEST) == (200, 2)
        await connection.close()


async def test_an_answer_cut_short_is_an_error_not_a_retry() -> None:
    sent = 0

    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        sent += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    async with serving(cut_short) as base_url:
        connection = KeepAliveConnection(base_url)
        with pytest.raises(asyncio.IncompleteReadError):
            await connection.exchange(REQUEST)
        await connection.close()
    assert sent == 1
