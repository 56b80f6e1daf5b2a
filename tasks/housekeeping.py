"""Periodic clean-up jobs. Each is idempotent: running it twice does no harm."""

from __future__ import annotations

import logging
from typing import Any

from domain import media_uploads, oauth, sessions

logger = logging.getLogger(__name__)


async def remove_expired_sessions(ctx: dict[str, Any]) -> int:
    removed = await sessions.delete_expired_sessions()
    if removed:
        logger.info("removed %d expired sessions", removed)
    return removed


async def remove_expired_grants(ctx: dict[str, Any]) -> int:
    """OAuth codes and token ids past their expiry; expired tokens are refused anyway."""
    removed = await oauth.delete_expired_grants()
    if removed:
        logger.info("removed %d expired OAuth grants", removed)
    return removed


async def remove_unused_uploads(ctx: dict[str, Any]) -> int:
    """API uploads that no post took within a day, with their files when nothing shows them."""
    removed = await media_uploads.remove_unused_uploads()
    if removed:
        logger.info("removed %d unused media uploads", removed)
    return removed
