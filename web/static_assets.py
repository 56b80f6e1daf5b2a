"""Static files under content-hashed URLs, so browsers may cache them for a year."""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from domain.core.assets import STATIC_DIR, static_url

__all__ = ["STATIC_DIR", "static_files_router", "static_url"]


def static_files_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        opt={"exclude_from_auth": True},
    )
