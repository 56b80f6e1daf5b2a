"""A full-text index on post text, for the API's status and hashtag search.

'simple' (no stemming, no stop words) so that a search finds the words as typed, in any
language; the API combines it with an exact match for hashtags.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T19:53:55:973383"
VERSION = "1.38.0"
DESCRIPTION = "post text search index"

FORWARD_SQL = "CREATE INDEX post_text_search ON post USING gin (to_tsvector('simple', text))"
BACKWARD_SQL = "DROP INDEX IF EXISTS post_text_search"


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
