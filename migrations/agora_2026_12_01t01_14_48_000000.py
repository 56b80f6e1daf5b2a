"""Post text rules (issue 11), in the database:

- the GIN index behind the one tag test (`p.tags @> ARRAY[tag]`), and the tags of the posts
  written before the column existed. The backfill applies the text rules of
  domain.posts.text (the only statement of them), so the stored tags are what publishing
  would store today. Only posts whose text has a `#` can carry a tag; they are read and
  written a thousand at a time, in the migration's transaction.
- the last line of defence on text length follows the new count: 500 is counted in
  grapheme clusters with links at 23 (domain.posts.text_length), which PostgreSQL cannot
  count, so the constraint is the stored ceiling instead (MAX_STORED_LENGTH, code points).
"""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

from domain.posts.text import extract_tags

ID = "2026-12-01T01:14:48:000000"
VERSION = "1.38.0"
DESCRIPTION = "post tags index and backfill, text length ceiling"

BATCH = 1000
FORWARD_SQL = (
    "CREATE INDEX post_tags ON post USING gin (tags)",
    "ALTER TABLE post DROP CONSTRAINT post_text_length",
    "ALTER TABLE post ADD CONSTRAINT post_text_length CHECK (char_length(text) BETWEEN 1 AND 5000)",
    "ALTER TABLE comment DROP CONSTRAINT comment_text_length",
    "ALTER TABLE comment ADD CONSTRAINT comment_text_length"
    " CHECK (char_length(text) BETWEEN 1 AND 5000)",
)
# Texts longer than 500 code points written since then would fail the old constraint.
BACKWARD_SQL = (
    "ALTER TABLE comment DROP CONSTRAINT comment_text_length",
    "ALTER TABLE comment ADD CONSTRAINT comment_text_length"
    " CHECK (char_length(text) BETWEEN 1 AND 500) NOT VALID",
    "ALTER TABLE post DROP CONSTRAINT post_text_length",
    "ALTER TABLE post ADD CONSTRAINT post_text_length"
    " CHECK (char_length(text) BETWEEN 1 AND 500) NOT VALID",
    "DROP INDEX IF EXISTS post_tags",
)
SELECT_BATCH = (
    "SELECT id, text FROM post WHERE id > {} AND strpos(text, '#') > 0 ORDER BY id LIMIT {}"
)
# One statement per batch: a JSON object of post id to its tags.
UPDATE_BATCH = (
    "UPDATE post p SET tags = ARRAY(SELECT jsonb_array_elements_text(t.value))"
    " FROM jsonb_each({}::jsonb) t WHERE p.id = t.key::bigint"
)


class RawSQL(Table):
    pass


async def backfill() -> None:
    last_id = 0
    while True:
        rows = await RawSQL.raw(SELECT_BATCH, last_id, BATCH)
        if not rows:
            return
        tags = {str(row["id"]): found for row in rows if (found := extract_tags(row["text"]))}
        if tags:
            await RawSQL.raw(UPDATE_BATCH, json.dumps(tags))
        last_id = rows[-1]["id"]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="agora", description=DESCRIPTION)

    async def run() -> None:
        for statement in FORWARD_SQL:
            await RawSQL.raw(statement)
        await backfill()

    async def run_backwards() -> None:
        for statement in BACKWARD_SQL:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
