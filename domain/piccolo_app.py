"""Registers every package's tables with Piccolo as one app, `agora`, whose migrations live in
the top-level `migrations/`; and tells which of those migrations the database still lacks."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig

from domain.accounts.tables import ACCOUNT_TABLES
from domain.core.dead_letters import DeadLetter
from domain.core.outbox import OutboxMessage
from domain.notifications.tables import NOTIFICATION_TABLES
from domain.oauth.tables import OAUTH_TABLES
from domain.posts.tables import POST_TABLES
from domain.social.tables import SOCIAL_TABLES

ALL_TABLES = (
    *ACCOUNT_TABLES,
    *SOCIAL_TABLES,
    *POST_TABLES,
    *NOTIFICATION_TABLES,
    *OAUTH_TABLES,
    OutboxMessage,
    DeadLetter,
)

APP_CONFIG = AppConfig(
    app_name="agora",
    migrations_folder_path=str(Path(__file__).resolve().parent.parent / "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)


@lru_cache(maxsize=1)
def known_migration_ids() -> frozenset[str]:
    modules = BaseMigrationManager().get_migration_modules(
        APP_CONFIG.resolved_migrations_folder_path
    )
    return frozenset(modules)


async def pending_migrations() -> list[str]:
    """The ids of the migrations in `migrations/` the database has not applied, sorted."""
    if not await Migration.table_exists():
        return sorted(known_migration_ids())
    applied = set(await Migration.get_migrations_which_ran(APP_CONFIG.app_name))
    return sorted(known_migration_ids() - applied)
