"""The checked-in migrations build exactly the schema the tables describe."""

from __future__ import annotations

import asyncpg
import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from domain.piccolo_app import ALL_TABLES, APP_CONFIG, pending_migrations
from tests.conftest import TEST_DATABASE_URL


async def test_no_changes_are_pending_between_tables_and_migrations() -> None:
    alterations = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    statements = [statement for alteration in alterations for statement in alteration.statements]
    assert statements == []


async def test_the_release_step_applied_every_migration() -> None:
    assert await pending_migrations() == []


async def test_database_has_every_table_column_and_constraint() -> None:
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        for table in ALL_TABLES:
            rows = await connection.fetch(
                "SELECT column_name, is_nullable FROM information_schema.columns "
                "WHERE table_name = $1",
                table._meta.tablename,
            )
            actual = {row["column_name"]: row["is_nullable"] == "YES" for row in rows}
            expected = {
                column._meta.db_column_name: column._meta.null for column in table._meta.columns
            }
            assert actual == expected, table._meta.tablename
        constraints = {
            row["conname"] for row in await connection.fetch("SELECT conname FROM pg_constraint")
        }
        assert {
            "one_follow_per_pair",
            "no_self_follow",
            "one_block_per_pair",
            "no_self_block",
            "one_like_per_pair",
            "one_bookmark_per_pair",
            "role_is_known",
            "post_text_length",
        } <= constraints
        indexes = {
            row["indexname"] for row in await connection.fetch("SELECT indexname FROM pg_indexes")
        }
        assert {
            "agora_user_username_lower",
            "post_created_at_id",
            "post_author_created_at_id",
            "post_author_id",
            "follow_followed_created_at",
            "block_blocked_blocker",
            "post_image",
            "bookmark_user_created_at_id",
        } <= indexes
    finally:
        await connection.close()


async def test_constraints_hold_in_the_database() -> None:
    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        insert_user = (
            "INSERT INTO agora_user (username, display_name, password_hash) "
            "VALUES ($1, $1, 'x') RETURNING id"
        )
        alice = await connection.fetchval(insert_user, "Alice")
        for duplicate in ("alice", "ALICE"):
            with pytest.raises(asyncpg.UniqueViolationError):
                await connection.execute(insert_user, duplicate)
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(
                "INSERT INTO follow (follower, followed) VALUES ($1, $1)", alice
            )
    finally:
        await connection.close()
