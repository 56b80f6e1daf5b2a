"""`Idempotency-Key` for creating statuses: a retried request returns what the first one made.

Like Mastodon, a key is remembered for an hour, per user. The key's row is inserted in the
same transaction as the post: a concurrent request with the same key waits on the unique
index until the first commits, then finds the stored result instead of posting again; if
the first fails, its key row is rolled back with it and the retry really runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from domain.accounts import User
from domain.core import outbox
from domain.core.errors import ValidationFailed
from domain.core.sql import fetch, sql
from domain.posts.tables import IdempotencyKey

KEY_LIFETIME = timedelta(hours=1)
MAX_KEY_LENGTH = 255

_CLAIM = """
INSERT INTO idempotency_key ("user", key, created_at) VALUES ({user_id}, {key}, now())
ON CONFLICT ("user", key) DO NOTHING RETURNING id
"""


async def _stored_result(user_id: int, key: str) -> str | None:
    row = (
        await IdempotencyKey.select(IdempotencyKey.status_id)
        .where((IdempotencyKey.user == user_id) & (IdempotencyKey.key == key))
        .first()
    )
    return None if row is None else row["status_id"]


async def run_once(user: User, key: str, create: Callable[[], Awaitable[str]]) -> tuple[str, bool]:
    """Run `create` (which returns the new status's id) once per (user, key).

    Returns the status id and whether it was created by this call.
    """
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed({"Idempotency-Key": "The idempotency key is too long."})
    # Expired keys of this user are forgotten first, so an old key can be used again.
    await IdempotencyKey.delete().where(
        (IdempotencyKey.user == user.id)
        & (IdempotencyKey.created_at < datetime.now(UTC) - KEY_LIFETIME)
    )
    # The outbox's transaction, so that the relay is woken once the post's jobs are committed,
    # not when the post's own (then nested) transaction ends.
    async with outbox.transaction():
        claimed = await fetch(sql(_CLAIM, user_id=user.id, key=key))
        if not claimed:
            stored = await _stored_result(user.id, key)
            if stored is not None:
                return stored, False
            raise ValidationFailed({"Idempotency-Key": "This key was used for something else."})
        status_id = await create()
        await IdempotencyKey.update({IdempotencyKey.status_id: status_id}).where(
            IdempotencyKey.id == claimed[0]["id"]
        )
    return status_id, True
