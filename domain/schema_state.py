"""Whether the database has every migration in `migrations/` applied."""

from __future__ import annotations

from functools import lru_cache

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration

from domain.piccolo_app import APP_CONFIG


@lru_cache(maxsize=1)
def known_migration_ids() -> frozenset[str]:
    modules = BaseMigrationManager().get_migration_modules(
        APP_CONFIG.resolved_migrations_folder_path
    )
    return frozenset(modules)


async def pending_migrations() -> list[str]:
    if not await Migration.table_exists():
        return sorted(known_migration_ids())
    applied = set(await Migration.get_migrations_which_ran(APP_CONFIG.app_name))
    return sorted(known_migration_ids() - applied)
