"""Response compression: brotli (gzip for clients without it) for text, nothing else.

Litestar's CompressionMiddleware compresses every response of a route that passes its size
threshold, whatever its type. Two kinds must not be: images (JPEG, PNG, WebP and GIF are
compressed already, so it would cost CPU for nothing) and event streams (text/event-stream),
whose events must reach the client as they are sent; a proxy or client that buffers a
compressed stream until a block fills would hold them back. So the middleware here chooses by
the response's own Content-Type, which it reads when the response starts.
"""

from __future__ import annotations

from typing import Literal

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Message, Scope, Send

# Smaller bodies gain little (a gzip header alone is 18 bytes) and lose a round of work.
MINIMUM_SIZE_BYTES = 512
# Quality 5 is brotli's usual on-the-fly level: most of the saving of 11 at a small part of
# the cost. Pages are rendered per request, so they are compressed per request too.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6

COMPRESSIBLE_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)
NEVER_COMPRESSED_TYPES = frozenset({"text/event-stream"})


def is_compressible(content_type: str) -> bool:
    """Whether a response of this Content-Type (parameters allowed, any case) is text worth
    compressing: text/* but event streams, JSON and XML (their +json and +xml kinds too),
    JavaScript and SVG."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in NEVER_COMPRESSED_TYPES:
        return False
    return (
        media_type.startswith("text/")
        or media_type in COMPRESSIBLE_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


class TextCompressionMiddleware(CompressionMiddleware):
    """Litestar's compression, applied only to responses `is_compressible` accepts; the rest
    pass through untouched (no Content-Encoding, their own Content-Length)."""

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal[CompressionEncoding.BROTLI, CompressionEncoding.GZIP] | str,
        scope: Scope,
    ) -> Send:
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        chosen = send

        async def send_chosen(message: Message) -> None:
            nonlocal chosen
            if message["type"] == "http.response.start":
                content_type = MutableScopeHeaders.from_message(message).get("content-type") or ""
                chosen = compressing if is_compressible(content_type) else send
            await chosen(message)

        return send_chosen


def compression_config() -> CompressionConfig:
    """Brotli for clients that accept it, else gzip, for text bodies of at least
    `MINIMUM_SIZE_BYTES` bytes."""
    return CompressionConfig(
        backend="brotli",
        brotli_quality=BROTLI_QUALITY,
        brotli_gzip_fallback=True,
        gzip_compress_level=GZIP_LEVEL,
        minimum_size=MINIMUM_SIZE_BYTES,
        middleware_class=TextCompressionMiddleware,
    )
