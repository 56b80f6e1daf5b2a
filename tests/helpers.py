"""Helpers for driving the app through HTTP the way a browser with JavaScript off would, and for
running the worker's jobs from a test."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from httpx import AsyncClient, Response
from litestar import Litestar
from saq import Queue
from saq.types import FunctionsType

from domain.core import outbox
from domain.core.outbox import Job, OutboxMessage
from tasks.outbox_relay import relay_when_recorded
from tasks.queue import WorkerContext

CSRF_COOKIE = "agora_csrf"
PASSWORD = "a long enough passphrase"

# Tests call job functions directly, as the worker would but without starting one. Those jobs
# read nothing from their context (of the worker's jobs only relay_job does, ctx["worker"]; it
# is not called this way), so an empty one stands in for what SAQ builds. WorkerContext requires
# the `worker` key, hence the cast. Nothing may write to it: it is shared.
NO_CONTEXT = cast(WorkerContext, {})


def worker_functions(settings: Mapping[str, object]) -> FunctionsType[WorkerContext]:
    """The job functions of the worker's settings (tasks.worker.settings). SAQ reads that dict
    by key and it is a plain dict, so mypy sees its values only as `object`."""
    return cast("FunctionsType[WorkerContext]", settings["functions"])


def registered_functions(settings: Mapping[str, object]) -> set[Callable[..., object]]:
    """The worker's job functions as written: outbox jobs are registered wrapped
    (tasks.worker.kept_alive, tasks.outages), under their own names."""
    return {
        inspect.unwrap(function[1] if isinstance(function, tuple) else function)
        for function in worker_functions(settings)
    }


async def relayed_rows(job: Job, *payloads: dict[str, Any]) -> tuple[str, list[int]]:
    """Outbox rows of `job`, as the relay leaves them once it has queued them in one job: that
    job's key and the rows' ids, the job's `message_ids`. (The test queues the job itself,
    with a quicker retry policy than the relay's.)"""
    rows = await OutboxMessage.insert(
        *(OutboxMessage(job=job.value, payload=payload) for payload in payloads)
    )
    message_ids = [row["id"] for row in rows]
    key = outbox.batch_key(message_ids)
    await OutboxMessage.update(
        {OutboxMessage.relayed_at: datetime.now(UTC), OutboxMessage.queued_as: key}
    ).where(OutboxMessage.id.is_in(message_ids))
    return key, message_ids


@asynccontextmanager
async def running_relay(
    queue: Queue, sweep_seconds: float, retry_seconds: float = 1.0
) -> AsyncIterator[None]:
    """The web process's outbox relay (tasks.outbox_relay.relay_when_recorded) on `queue`,
    running until the block ends, then stopped as the app stops it (never cancelled)."""
    stop = asyncio.Event()
    relay = asyncio.create_task(
        relay_when_recorded(queue, stop, sweep_seconds, retry_seconds=retry_seconds)
    )
    try:
        yield
    finally:
        stop.set()
        outbox.pending_work.set()
        async with asyncio.timeout(10):
            await relay


def as_asgi(app: Litestar) -> Callable[..., Awaitable[None]]:
    """The app as httpx's ASGITransport takes it. Litestar's `__call__` names its precise ASGI
    scope and event TypedDicts, httpx types an app with plain mappings, and mypy does not count
    the one as the other (parameters are contravariant), though they are the same protocol."""
    return cast("Callable[..., Awaitable[None]]", app)


async def csrf_token(client: AsyncClient) -> str:
    """The CSRF token a page would embed; fetching a page sets the cookie if needed."""
    if CSRF_COOKIE not in client.cookies:
        await client.get("/login")
    return str(client.cookies[CSRF_COOKIE])


async def post_form(client: AsyncClient, url: str, data: dict[str, str]) -> Response:
    return await client.post(url, data={**data, "_csrf_token": await csrf_token(client)})


async def sign_up(
    client: AsyncClient, username: str, password: str = PASSWORD, display_name: str = ""
) -> Response:
    return await post_form(
        client,
        "/signup",
        {
            "username": username,
            "display_name": display_name or username.title(),
            "password": password,
        },
    )


async def log_in(client: AsyncClient, username: str, password: str = PASSWORD) -> Response:
    return await post_form(client, "/login", {"username": username, "password": password})


async def log_out(client: AsyncClient) -> Response:
    return await post_form(client, "/logout", {})


async def write_post(client: AsyncClient, text: str) -> int:
    """Publish a post through the compose form; returns the new post's id."""
    response = await post_form(client, "/posts", {"text": text})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("-", 1)[1])


def htmx_headers(client: AsyncClient) -> dict[str, str]:
    """What htmx sends: its marker and the CSRF header the page configures."""
    return {"HX-Request": "true", "x-csrftoken": str(client.cookies[CSRF_COOKIE])}


def rendered_form(page: str, action: str) -> tuple[str, dict[str, str]]:
    """The action URL and hidden fields of the page's form whose action starts with `action`,
    exactly as rendered, so a test submits what a browser would (CSRF token included)."""
    import html
    import re

    # Only POST forms: a GET form (such as the Delete button opening its confirm page) is a link.
    forms = r'<form method="post"[^>]*action="([^"]*)"[^>]*>(.*?)</form>'
    for match in re.finditer(forms, page, re.S):
        url = html.unescape(match.group(1))
        if url.startswith(action):
            hidden = re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(2)
            )
            return url, {name: html.unescape(value) for name, value in hidden}
    raise AssertionError(f"no form posting to {action}")


async def failure_page(client: AsyncClient, response: Response) -> Response:
    """A failed form as a browser then sees it: the POST answers 303 to the form's GET page
    with `?failed=` (Post/Redirect/Get, web/forms.py), which shows the errors and the typed
    values with the failure's 4xx status."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert "failed=" in location, location
    return await client.get(location)


def spoken_link(page: str, element_id: str) -> str | None:
    """The link with this id (a nav link with a count badge) as a screen reader says it: the
    badge is hidden, its visually hidden text is read; None when the page has no such link."""
    match = re.search(rf'<a id="{element_id}".*?</a>', page, re.DOTALL)
    if match is None:
        return None
    spoken = re.sub(r'<span class="badge" aria-hidden="true">.*?</span>', "", match.group(0))
    return re.sub(r"<[^>]+>", "", spoken).strip()


async def settled(app: Litestar) -> None:
    """Wait (up to 20 s) until every recorded job has been relayed and run by the worker."""
    queue = app.state.queue
    for _ in range(400):
        if (
            await outbox.backlog() == 0
            and await queue.count("queued") == 0
            and await queue.count("active") == 0
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the jobs did not finish")
