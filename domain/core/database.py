"""The PostgreSQL connection pool each process (web, worker, command line) opens."""

from __future__ import annotations

from typing import Any


async def _keep_session_state(_connection: Any) -> None:
    """Release a connection without asyncpg's default reset query.

    Piccolo takes a pooled connection per query, and the default reset (unlock advisory
    locks, close cursors, UNLISTEN, RESET ALL) is one more round trip on every release. Agora
    uses none of those, and asyncpg still rolls back a transaction left open before this runs.
    """


async def open_pool(min_size: int, max_size: int) -> None:
    from piccolo_conf import DB

    await DB.start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session_state)


async def close_pool() -> None:
    from piccolo_conf import DB

    await DB.close_connection_pool()
