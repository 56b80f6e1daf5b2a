"""The colour theme a member chose on /settings: auto (the device's), light or dark (issue 12)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check

ID = "2026-12-01T03:48:12:460854"
VERSION = "1.38.0"
DESCRIPTION = "agora_user.theme"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    manager.add_column(
        table_class_name="User",
        tablename="agora_user",
        column_name="theme",
        db_column_name="theme",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "auto",
            "null": False,
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

    manager.add_constraint(
        table_class_name="User",
        tablename="agora_user",
        constraint_name="theme_is_known",
        constraint_class=Check,
        params={"condition": "((\"theme\" = 'auto' OR \"theme\" = 'light') OR \"theme\" = 'dark')"},
        schema=None,
    )

    return manager
