"""Direct messages: the index behind each member's list of conversations (newest message
first, removed ones left out), which Piccolo cannot express (descending, partial)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T04:23:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "conversation list index"

FORWARD_SQL = (
    'CREATE INDEX conversation_member_list ON conversation_member ("user", last_post DESC)'
    " WHERE NOT removed"
)
BACKWARD_SQL = "DROP INDEX IF EXISTS conversation_member_list"


class RawSQL(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        await RawSQL.raw(FORWARD_SQL)

    async def run_backwards() -> None:
        await RawSQL.raw(BACKWARD_SQL)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
