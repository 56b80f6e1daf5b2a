"""Static files under content-hashed URLs, so browsers may cache them for a year."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """`/static/<path>?v=<hash>`: the hash changes whenever the file does."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def static_files_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        opt={"exclude_from_auth": True},
    )
