"""`/media/`, where stored images are served, and the request size that uploads allow."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from domain.core.settings import Settings


def max_request_bytes(settings: Settings) -> int:
    """Room for the largest accepted image plus the form's text fields."""
    return max(10_000_000, settings.max_upload_bytes + 1_000_000)


def media_files_router(settings: Settings) -> Router:
    """`/media/...`: names are content hashes, so a file never changes and may be cached for a
    year; every response also gets `X-Content-Type-Options: nosniff` (web/security_headers.py)."""
    directory = Path(settings.media_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return create_static_files_router(
        path="/media",
        directories=[directory],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        opt={"exclude_from_auth": True},
        include_in_schema=False,
    )
