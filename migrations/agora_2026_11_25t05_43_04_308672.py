"""Indexes and constraints that Piccolo's column options cannot express.

- usernames are unique ignoring case (kept as typed, compared lower-cased);
- keyset pagination on (created_at, id) for the public feed, each author's posts,
  bookmarks and comments;
- "who follows X" (followers list, fan-out) and likes by post (favourited_by);
- post text length is enforced by the database too, as a last line of defence.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T05:43:04:308672"
VERSION = "1.38.0"
DESCRIPTION = "feed, graph and username indexes"

FORWARD_SQL = (
    "CREATE UNIQUE INDEX agora_user_username_lower ON agora_user (lower(username))",
    "CREATE INDEX post_created_at_id ON post (created_at DESC, id DESC)",
    "CREATE INDEX post_author_created_at_id ON post (author, created_at DESC, id DESC)",
    "CREATE INDEX follow_followed_created_at ON follow (followed, created_at DESC)",
    "CREATE INDEX post_like_post ON post_like (post, created_at DESC)",
    'CREATE INDEX bookmark_user_created_at_id ON bookmark ("user", created_at DESC, id DESC)',
    "CREATE INDEX comment_post_created_at_id ON comment (post, created_at, id)",
    "CREATE INDEX comment_parent ON comment (parent)",
    'CREATE INDEX user_session_user ON user_session ("user")',
    "ALTER TABLE post ADD CONSTRAINT post_text_length CHECK (char_length(text) BETWEEN 1 AND 500)",
    "ALTER TABLE comment ADD CONSTRAINT comment_text_length "
    "CHECK (char_length(text) BETWEEN 1 AND 500)",
)

BACKWARD_SQL = (
    "ALTER TABLE comment DROP CONSTRAINT comment_text_length",
    "ALTER TABLE post DROP CONSTRAINT post_text_length",
    "DROP INDEX user_session_user",
    "DROP INDEX comment_parent",
    "DROP INDEX comment_post_created_at_id",
    "DROP INDEX bookmark_user_created_at_id",
    "DROP INDEX post_like_post",
    "DROP INDEX follow_followed_created_at",
    "DROP INDEX post_author_created_at_id",
    "DROP INDEX post_created_at_id",
    "DROP INDEX agora_user_username_lower",
)


class RawSQL(Table):
    pass


async def _run_all(statements: tuple[str, ...]) -> None:
    for statement in statements:
        await RawSQL.raw(statement)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        await _run_all(FORWARD_SQL)

    async def run_backwards() -> None:
        await _run_all(BACKWARD_SQL)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
