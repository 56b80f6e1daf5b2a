"""Outbox rows relayed before jobs carried batches were each queued alone, under the key
`outbox-<id>`: record that key, so that the relay can look those jobs up as it does the rest."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T10:48:43:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox rows relayed alone keep their key"

FORWARD_SQL = (
    "UPDATE outbox SET queued_as = 'outbox-' || id"
    " WHERE relayed_at IS NOT NULL AND queued_as IS NULL"
)


class RawSQL(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        await RawSQL.raw(FORWARD_SQL)

    manager.add_raw(run)
    return manager
