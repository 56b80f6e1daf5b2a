"""The block table's second index, by the blocked member.

The unique (blocker, blocked) pair answers "whom did the viewer block"; every feed read with a
viewer also asks "who blocked the viewer", which this index answers without a scan.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T02:01:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "block index by blocked"

FORWARD_SQL = "CREATE INDEX block_blocked_blocker ON block (blocked, blocker)"
BACKWARD_SQL = "DROP INDEX IF EXISTS block_blocked_blocker"


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
