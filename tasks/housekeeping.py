"""Periodic clean-up jobs. Each is idempotent: running it twice does no harm."""

from __future__ import annotations

import logging
from typing import Any

from domain import oauth, sessions

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
