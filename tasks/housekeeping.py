"""Periodic clean-up jobs. Each is idempotent: running it twice does no harm."""

from __future__ import annotations

import logging

from domain import accounts, oauth, posts
from tasks.queue import WorkerContext

logger = logging.getLogger(__name__)


async def remove_expired_sessions(ctx: WorkerContext) -> int:
    """Log-in sessions past their expiry; returns how many were removed."""
    removed = await accounts.delete_expired_sessions()
    if removed:
        logger.info("removed %d expired sessions", removed)
    return removed


async def remove_expired_grants(ctx: WorkerContext) -> int:
    """OAuth codes and token ids past their expiry; expired tokens are refused anyway."""
    removed = await oauth.delete_expired_grants()
    if removed:
        logger.info("removed %d expired OAuth grants", removed)
    return removed


async def remove_unused_uploads(ctx: WorkerContext) -> int:
    """API uploads that no post took within a day, with their files when nothing shows them."""
    removed = await posts.remove_unused_uploads()
    if removed:
        logger.info("removed %d unused media uploads", removed)
    return removed
