"""Outbox rows outlive relaying (issue 10): `relayed_at` says when the relay last handed the
row's job to SAQ; the row is deleted when the job is done, and re-sent if Redis lost it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T04:00:06:388648"
VERSION = "1.38.0"
DESCRIPTION = "outbox rows kept until their job is done: relayed_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox",
        column_name="relayed_at",
        db_column_name="relayed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
