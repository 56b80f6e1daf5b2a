"""Periodic clean-up jobs. Each is idempotent: running it twice does no harm."""

from __future__ import annotations

import logging
from typing import Any

from domain import sessions

logger = logging.getLogger(__name__)


async def remove_expired_sessions(ctx: dict[str, Any]) -> int:
    removed = await sessions.delete_expired_sessions()
    if removed:
        logger.info("removed %d expired sessions", removed)
    return removed
