"""Static files under content-hashed URLs, so browsers may cache them for a year. Here rather
than in the web layer because post fragments, which the worker renders too
(domain.feeds.fragments), show icons from the sprite."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """`/static/<path>?v=<hash>`: the hash changes whenever the file does."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"
