"""Display names without bidirectional embedding, override or isolate controls (U+202A to
U+202E, U+2066 to U+2069), which the display-name rule now refuses
(domain.accounts.users.BIDI_CONTROLS): names saved before lose them, and a name left empty
falls back to the username, as an empty name does when saved. Not reversible: the removed
characters are not kept.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T01:14:49:000000"
VERSION = "1.38.0"
DESCRIPTION = "display names without bidi controls"

FORWARD_SQL = r"""
UPDATE agora_user
SET display_name = COALESCE(
    NULLIF(btrim(regexp_replace(display_name, '[\u202a-\u202e\u2066-\u2069]', '', 'g')), ''),
    username
)
WHERE display_name ~ '[\u202a-\u202e\u2066-\u2069]'
"""


class RawSQL(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        await RawSQL.raw(FORWARD_SQL)

    manager.add_raw(run)
    return manager
