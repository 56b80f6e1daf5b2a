from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check

ID = "2026-12-01T03:48:56:903315"
VERSION = "1.38.0"
DESCRIPTION = (
    "Post visibility and mentions; members' default visibility (existing posts are public)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    manager.add_column(
        table_class_name="User",
        tablename="agora_user",
        column_name="default_visibility",
        db_column_name="default_visibility",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "public",
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

    manager.add_column(
        table_class_name="Post",
        tablename="post",
        column_name="mentions",
        db_column_name="mentions",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": list,
            "base_column": Integer(
                default=0,
                null=False,
                primary_key=False,
                unique=False,
                index=False,
                index_method=IndexMethod.btree,
                choices=None,
                db_column_name=None,
                secret=False,
            ),
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

    manager.add_column(
        table_class_name="Post",
        tablename="post",
        column_name="visibility",
        db_column_name="visibility",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "public",
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
        constraint_name="default_visibility_is_known",
        constraint_class=Check,
        params={
            "condition": "(((\"default_visibility\" = 'public' OR \"default_visibility\" = 'unlisted') OR \"default_visibility\" = 'private') OR \"default_visibility\" = 'direct')"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Post",
        tablename="post",
        constraint_name="visibility_is_known",
        constraint_class=Check,
        params={
            "condition": "(((\"visibility\" = 'public' OR \"visibility\" = 'unlisted') OR \"visibility\" = 'private') OR \"visibility\" = 'direct')"
        },
        schema=None,
    )

    return manager
