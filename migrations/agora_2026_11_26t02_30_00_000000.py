"""An index of the images posts show, for the hourly clean-up of unused API uploads.

Image files are named by their content, so before deleting one the clean-up asks whether any
post still shows it; without this index that question scans every post. Partial, because
most posts have no image.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T02:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "post image index"

FORWARD_SQL = "CREATE INDEX post_image ON post (image) WHERE image IS NOT NULL"
BACKWARD_SQL = "DROP INDEX IF EXISTS post_image"


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
