"""Locked accounts and follow requests (issue 13, item 4): `agora_user.locked` ("Approve new
followers"), the `follow_request` table, and the `follow_request` notification kind, whose
row names its request and goes with it. Piccolo does not see a changed check condition, so
`kind_is_known` is replaced in SQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique
from piccolo.table import Table


class FollowRequest(Table, tablename="follow_request", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


KINDS_FORWARDS = """
ALTER TABLE notification DROP CONSTRAINT kind_is_known, ADD CONSTRAINT kind_is_known CHECK (
    kind IN ('follow', 'follow_request', 'like', 'comment', 'reply', 'mention')
)
"""
KINDS_BACKWARDS = """
DELETE FROM notification WHERE kind = 'follow_request';
ALTER TABLE notification DROP CONSTRAINT kind_is_known, ADD CONSTRAINT kind_is_known CHECK (
    kind IN ('follow', 'like', 'comment', 'reply', 'mention')
)
"""


class RawSQL(Table):
    pass


class User(Table, tablename="agora_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-01T03:50:27:423110"
VERSION = "1.38.0"
DESCRIPTION = "locked accounts and follow requests"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    manager.add_table(
        class_name="FollowRequest",
        tablename="follow_request",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="FollowRequest",
        tablename="follow_request",
        column_name="follower",
        db_column_name="follower",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
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
        table_class_name="FollowRequest",
        tablename="follow_request",
        column_name="followed",
        db_column_name="followed",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowRequest",
        tablename="follow_request",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="FollowRequest",
        tablename="follow_request",
        constraint_name="one_request_per_pair",
        constraint_class=Unique,
        params={"columns": ["follower", "followed"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="FollowRequest",
        tablename="follow_request",
        constraint_name="no_self_request",
        constraint_class=Check,
        params={"condition": '"follower" != "followed"'},
        schema=None,
    )

    manager.add_column(
        table_class_name="User",
        tablename="agora_user",
        column_name="locked",
        db_column_name="locked",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
        table_class_name="Notification",
        tablename="notification",
        column_name="follow_request",
        db_column_name="follow_request",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": FollowRequest,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def kinds_forwards() -> None:
        await RawSQL.raw(KINDS_FORWARDS)

    async def kinds_backwards() -> None:
        await RawSQL.raw(KINDS_BACKWARDS)

    manager.add_raw(kinds_forwards)
    manager.add_raw_backwards(kinds_backwards)
    return manager
