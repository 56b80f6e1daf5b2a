"""An index for the API's home timeline: each author's posts by id.

The API pages by post id (max_id, since_id, min_id), so its home timeline reads each followed
author's posts in id order through this index, a page per author, instead of filtering a walk
over every post.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "post author id index"


class RawSQL(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        await RawSQL.raw("CREATE INDEX post_author_id ON post (author, id DESC)")

    async def run_backwards() -> None:
        await RawSQL.raw("DROP INDEX IF EXISTS post_author_id")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
