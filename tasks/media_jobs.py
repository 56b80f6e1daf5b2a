"""Thumbnails of uploaded images, made after the upload so posting stays fast. Pages show the
original until the thumbnail exists (domain.media `shown`), so the job may run late or
twice: it keeps a thumbnail that exists and writes new ones atomically."""

from __future__ import annotations

import asyncio

from domain import media
from domain.core.outbox import Job
from tasks.queue import JobFunction, WorkerContext


async def make_thumbnails(ctx: WorkerContext, *, url: str, kinds: list[str]) -> list[str]:
    """Make the `kinds` ("feed", "avatar") of the stored image at `url`; returns their URLs.
    Pillow's work runs in a thread so the worker's other jobs keep going meanwhile."""
    return await asyncio.to_thread(media.make_thumbnails, url, kinds)


MEDIA_JOBS: dict[Job, JobFunction] = {Job.MAKE_THUMBNAILS: make_thumbnails}
