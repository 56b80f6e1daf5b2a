"""Notification indexes that Piccolo's column options cannot express.

- one notification per (recipient, actor, kind, post, comment), NULLs counted equal, so a
  repeated event (like, unlike, like again; a retried job) inserts nothing the second time
  (PostgreSQL 15+ for NULLS NOT DISTINCT);
- a person's notifications newest first, for keyset paging by id (pages and the API);
- the unread ones only (a partial index), so the nav's unread count stays one cheap COUNT.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T20:18:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification indexes"

FORWARD_SQL = (
    "CREATE UNIQUE INDEX notification_once ON notification"
    " (recipient, actor, kind, post, comment) NULLS NOT DISTINCT",
    "CREATE INDEX notification_recipient_id ON notification (recipient, id DESC)",
    "CREATE INDEX notification_unread ON notification (recipient) WHERE read_at IS NULL",
)

BACKWARD_SQL = (
    "DROP INDEX IF EXISTS notification_unread",
    "DROP INDEX IF EXISTS notification_recipient_id",
    "DROP INDEX IF EXISTS notification_once",
)


class RawSQL(Table):
    pass


async def _run_all(statements: tuple[str, ...]) -> None:
    for statement in statements:
        await RawSQL.raw(statement)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        await _run_all(FORWARD_SQL)

    async def run_backwards() -> None:
        await _run_all(BACKWARD_SQL)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
