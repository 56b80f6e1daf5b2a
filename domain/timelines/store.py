"""Home timelines in Redis: one sorted set of post ids per reader, filled on write (fan-out).

Key `tl:<user id>` holds the newest TIMELINE_SIZE post ids of the people the user follows
(and their own), scored by post id, which grows with time (ids come from a sequence as posts
are written). A sentinel member scored -1 marks a timeline as built even when it is empty.
`tl:<user id>:big` holds when the timeline was built and the followed authors too popular
to fan out ("<ms>;<id>,<id>"); their posts are merged in at read time. Both keys expire
after TIMELINE_IDLE_DAYS without a read, so only active readers' timelines are kept warm;
fan-out skips timelines that do not exist, and a missing timeline is rebuilt from Postgres
on the next visit. Postgres stays the source of truth.

A timeline only ever receives the posts its reader may see (domain.core.visibility): fan-out
skips the followers who may not, and a rebuild reads the home query, which leaves them out.
Readers check again when they read (domain.feeds.home), since a follow may have ended since.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from piccolo.querystring import QueryString

from domain.core import events
from domain.core.paging import IdRange, KeyedPage, page_from_rows
from domain.core.redis_guard import GuardedRedis
from domain.core.settings import get_settings
from domain.core.sql import NOTHING, TRUE, fetch, sql
from domain.core.visibility import visible_to

TIMELINE_SIZE = 800
SENTINEL = "0"
FAN_OUT_BATCH = 1000

# How long a rebuild may take before its reader's pushes stop being kept for it: far more
# than the two statements it runs. A rebuild that died leaves nothing longer than this.
REBUILD_SECONDS = 60

# Adds the post to each timeline that exists, then trims it to the sentinel plus the newest
# TIMELINE_SIZE posts; for a timeline being rebuilt (domain.timelines.store.rebuild), keeps
# it aside for the rebuild to add. KEYS come in threes per reader: the timeline, its
# rebuilding flag and the posts kept aside. One script call per batch: one round trip.
_PUSH = """
local added = 0
for i = 1, #KEYS, 3 do
  local key, rebuilding, pending = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, ARGV[1], ARGV[1])
    redis.call('ZREMRANGEBYRANK', key, 1, -(tonumber(ARGV[2]) + 1))
    added = added + 1
  elseif redis.call('EXISTS', rebuilding) == 1 then
    redis.call('ZADD', pending, ARGV[1], ARGV[1])
    redis.call('EXPIRE', pending, ARGV[3])
    added = added + 1
  end
end
return added
"""

# A rebuild's last step, atomic: unless the rebuild was called off (`forget` dropped its
# flag, or another rebuild of the same timeline finished first), the sentinel (ARGV[4]), the
# posts read from PostgreSQL (ARGV[5..]) and those pushed while it read are added to the
# timeline, which is trimmed and given its metadata. Returns 1 if it stored the timeline.
_FINISH_REBUILD = """
local key, big_key, rebuilding, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('EXISTS', rebuilding) == 0 then
  return 0
end
redis.call('ZADD', key, -1, ARGV[4])
for i = 5, #ARGV do
  redis.call('ZADD', key, ARGV[i], ARGV[i])
end
for _, post in ipairs(redis.call('ZRANGE', pending, 0, -1)) do
  redis.call('ZADD', key, post, post)
end
redis.call('ZREMRANGEBYRANK', key, 1, -(tonumber(ARGV[3]) + 1))
redis.call('SET', big_key, ARGV[2], 'EX', ARGV[1])
redis.call('EXPIRE', key, ARGV[1])
redis.call('DEL', rebuilding, pending)
return 1
"""


# Drops a timeline unless it was built at or after the change (ARGV[1], epoch ms; empty:
# drop whatever there is), and calls off a rebuild that started before the change. In one
# step: the follow's job can land while a visit rebuilds the timeline it drops, and a rebuild
# that began after the change must not be called off (it would store nothing, and fan-out
# would skip the missing timeline until the next visit).
_FORGET = """
local big_key, key, rebuilding, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local changed = tonumber(ARGV[1])
if changed then
  local meta = redis.call('GET', big_key)
  local built = meta and tonumber(string.match(meta, '^(%d+)'))
  if built and built >= changed then
    return 1
  end
end
redis.call('DEL', key, big_key)
local started = tonumber(redis.call('GET', rebuilding) or '')
if not (changed and started and started >= changed) then
  redis.call('DEL', rebuilding, pending)
end
return 1
"""


def timeline_key(user_id: int) -> str:
    return f"tl:{user_id}"


def big_authors_key(user_id: int) -> str:
    return f"tl:{user_id}:big"


def _rebuilding_key(user_id: int) -> str:
    return f"tl:{user_id}:rebuilding"


def _pending_key(user_id: int) -> str:
    return f"tl:{user_id}:pending"


def _rebuild_keys(user_id: int) -> list[str]:
    return [timeline_key(user_id), _rebuilding_key(user_id), _pending_key(user_id)]


def _ttl_seconds() -> int:
    return get_settings().timeline_idle_days * 86_400


def _big_threshold() -> int:
    return get_settings().fanout_max_followers


async def push(guard: GuardedRedis, post_id: int, user_ids: list[int]) -> int | None:
    """Add a post to the existing timelines of these users; how many took it (None if down)."""
    total = 0
    for batch in _batches(user_ids, FAN_OUT_BATCH):
        keys = [key for user_id in batch for key in _rebuild_keys(user_id)]

        async def run(client: Any, keys: list[str] = keys) -> int:
            added: int = await client.eval(
                _PUSH, len(keys), *keys, post_id, TIMELINE_SIZE, REBUILD_SECONDS
            )
            return added

        added = await guard.call(run)
        if added is None:
            return None
        total += added
    return total


async def remove(guard: GuardedRedis, post_ids: list[int], user_ids: list[int]) -> bool:
    """Take posts out of these users' timelines; False if Redis could not be reached."""
    if not post_ids:
        return True
    for batch in _batches(user_ids, FAN_OUT_BATCH):

        def build(pipe: Any, batch: list[int] = batch) -> None:
            for user_id in batch:
                pipe.zrem(timeline_key(user_id), *post_ids)

        if await guard.pipeline(build) is None:
            return False
    return True


async def forget(guard: GuardedRedis, user_id: int, changed_ms: int | None = None) -> bool:
    """Drop a user's timeline so the next visit rebuilds it (after a follow or unfollow), and
    call off a rebuild under way, which read the follows before the change.

    With `changed_ms` (when the follows changed: the follow's job), what began after that is
    kept: a timeline built since, and a rebuild started since, which reads the new follows.
    False if Redis could not be reached.
    """
    keys = [big_authors_key(user_id), *_rebuild_keys(user_id)]
    since = "" if changed_ms is None else str(changed_ms)
    forgot = await guard.call(lambda client: client.eval(_FORGET, len(keys), *keys, since))
    return forgot is not None


def now_ms() -> int:
    return int(time.time() * 1000)


def _big_authors(meta: bytes | None) -> list[int]:
    _, _, authors = (meta or b"").decode().partition(";")
    return [int(author) for author in authors.split(",") if author]


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Each follower of the author, in batches by the follow's id, and whether they may see
# the post, if one is given (`sees`), so that a batch is never cut short by the rule.
_FOLLOWERS = """
SELECT f.id, f.follower, {sees} AS sees FROM follow f
WHERE f.followed = {author_id} AND f.id > {last_id} ORDER BY f.id LIMIT {batch}
"""
_FOLLOWER_SEES = """
EXISTS (SELECT 1 FROM post p WHERE p.id = {post_id} AND {visible})
"""


async def followers_in_batches(author_id: int, seeing: int | None = None) -> list[int]:
    """Everyone following the author (or, with `seeing`, only those who may see that post),
    read by keyset so huge lists do not load at once."""
    sees = TRUE
    if seeing is not None:
        sees = sql(_FOLLOWER_SEES, post_id=seeing, visible=visible_to(QueryString("f.follower")))
    followers: list[int] = []
    last_id = 0
    while True:
        rows = await fetch(
            sql(_FOLLOWERS, sees=sees, author_id=author_id, last_id=last_id, batch=FAN_OUT_BATCH)
        )
        followers.extend(row["follower"] for row in rows if row["sees"])
        if len(rows) < FAN_OUT_BATCH:
            return followers
        last_id = rows[-1]["id"]


async def fan_out(guard: GuardedRedis, post_id: int) -> int | None:
    """Push a new post into its author's and (unless the author is too popular) the
    timelines of the followers who may see it. Idempotent: pushing twice leaves the same
    sets. None if Redis is down."""
    rows = await fetch(
        sql(
            "SELECT p.author, p.visibility, p.conversation, u.followers_count AS followers"
            " FROM post p JOIN agora_user u ON u.id = p.author WHERE p.id = {post_id}",
            post_id=post_id,
        )
    )
    if not rows:  # deleted before the job ran
        return 0
    row = rows[0]
    readers = [row["author"]]
    if row["followers"] <= _big_threshold():
        readers += await followers_in_batches(row["author"], seeing=post_id)
    pushed = await push(guard, post_id, readers)
    if pushed is not None:
        # Public posts also go to the public streams; every stream still renders the post for
        # its own viewer (web.streaming), through the visibility rule.
        await events.publish(
            events.Event(
                events.EventName.UPDATE,
                post_id,
                tuple(readers),
                public=row["visibility"] == "public",
            )
        )
        if row["conversation"] is not None:
            await _publish_conversation(row["conversation"])
    return pushed


async def _publish_conversation(conversation_id: int) -> None:
    """A direct message changed its conversation: every participant's direct stream hears of
    it (and renders the conversation as that participant sees it)."""
    rows = await fetch(
        sql(
            'SELECT "user" FROM conversation_member WHERE conversation = {conversation}',
            conversation=conversation_id,
        )
    )
    members = tuple(row["user"] for row in rows)
    await events.publish(events.Event(events.EventName.CONVERSATION, conversation_id, members))


async def retract(guard: GuardedRedis, post_id: int, author_id: int) -> bool:
    """Remove a deleted post from every timeline that may hold it."""
    readers = [author_id, *await followers_in_batches(author_id)]
    removed = await remove(guard, [post_id], readers)
    if removed:
        await events.publish(events.Event(events.EventName.DELETE, post_id))
    return removed


async def page_ids(
    guard: GuardedRedis, viewer_id: int, before_id: int | None, count: int
) -> list[int] | None:
    """Up to `count` post ids of the viewer's home feed older than `before_id`, newest first;
    None when Redis cannot answer or the page lies past the end of the kept timeline."""
    key, big_key = timeline_key(viewer_id), big_authors_key(viewer_id)
    highest = f"({before_id}" if before_id else "+inf"
    ttl = _ttl_seconds()

    def build(pipe: Any) -> None:
        pipe.exists(key)
        pipe.zrevrangebyscore(key, highest, 1, start=0, num=count)
        pipe.zcard(key)
        pipe.get(big_key)
        pipe.expire(key, ttl)
        pipe.expire(big_key, ttl)

    result = await guard.pipeline(build)
    if result is None:
        return None
    exists, members, size, big_raw = result[:4]
    if not exists:
        rebuilt = await rebuild(guard, viewer_id)
        if rebuilt is None:
            return None
        ids, big_authors = rebuilt
        ids = [post_id for post_id in ids if before_id is None or post_id < before_id][:count]
    else:
        ids = [int(member) for member in members]
        big_authors = _big_authors(big_raw)
        if len(ids) < count and size - 1 >= TIMELINE_SIZE:
            return None  # older than the timeline keeps: let Postgres page it
    if big_authors:
        ids = await _merge_big_authors(viewer_id, ids, big_authors, before_id, count)
    return ids


async def _merge_big_authors(
    viewer_id: int, ids: list[int], authors: list[int], before_id: int | None, count: int
) -> list[int]:
    rows = await fetch(
        sql(
            "SELECT p.id FROM post p WHERE p.author = ANY({authors}) AND {visible} {older}"
            " ORDER BY p.id DESC LIMIT {count}",
            authors=authors,
            visible=visible_to(viewer_id),
            older=NOTHING
            if before_id is None
            else sql("AND p.id < {before_id}", before_id=before_id),
            count=count,
        )
    )
    return sorted({*ids, *(row["id"] for row in rows)}, reverse=True)[:count]


# The home feed in PostgreSQL, which the Redis timeline caches: the posts of the reader and
# of everyone they follow that the reader may see (leaving out authors with more followers
# than `popular`, when given, whose posts are merged at read time). A page from each author
# by the (author, id) index, then the page from those: the cost does not grow with the
# number of posts, where filtering one walk over all posts by author would.
_HOME = """
SELECT p.id AS key, p.id AS item_id FROM (
    SELECT f.followed AS author FROM follow f JOIN agora_user u ON u.id = f.followed
    WHERE f.follower = {reader} {popular_left_out}
    UNION ALL SELECT {reader}::integer
) authors
CROSS JOIN LATERAL (
    SELECT p.id, p.author FROM post p WHERE p.author = authors.author AND {seen} {bounds}
    ORDER BY p.id {order} LIMIT {limit}
) p
JOIN agora_user u ON u.id = p.author {visible}
ORDER BY p.id {order} LIMIT {limit}
"""


def home_query(
    reader_id: int,
    window: IdRange,
    limit: int,
    popular: int | None = None,
    visible_only: bool = True,
) -> QueryString:
    """The statement reading a page of the reader's home feed from PostgreSQL: rows of `key`
    and `item_id` (both the post id), at most `limit` + 1 within the window (its own limit is
    ignored), in the window's order; only posts the reader may see (domain.core.visibility).
    Authors with more than `popular` followers are left out when it is given; suspended
    authors' posts unless `visible_only` is false (a Redis timeline keeps them, hidden when
    shown, so that they are back the moment the author is reinstated). Feed pages embed it,
    to read the cards in the same statement."""
    return sql(
        _HOME,
        reader=reader_id,
        popular_left_out=(
            NOTHING if popular is None else sql("AND u.followers_count <= {n}", n=popular)
        ),
        seen=visible_to(reader_id),
        bounds=window.bounds(QueryString("p.id")),
        visible=QueryString("WHERE NOT u.is_suspended") if visible_only else NOTHING,
        order=window.order(),
        limit=limit + 1,
    )


async def home_post_ids(
    reader_id: int,
    window: IdRange,
    limit: int,
    popular: int | None = None,
    visible_only: bool = True,
) -> KeyedPage:
    """A page of the reader's home feed from PostgreSQL (`home_query`), newest first."""
    rows = await fetch(home_query(reader_id, window, limit, popular, visible_only))
    return page_from_rows(rows, limit, window.ascending)


async def rebuild(guard: GuardedRedis, user_id: int) -> tuple[list[int], list[int]] | None:
    """Build a user's timeline from Postgres; returns (post ids, big authors followed), or
    None when Redis cannot be reached.

    A post can be committed, and its fan-out run, while the rebuild reads: the fan-out finds
    no timeline, and the read may not have seen the post. So the timeline is flagged as being
    rebuilt before the read, fan-out keeps what it pushes meanwhile aside, and the rebuild
    adds those posts when it stores what it read (_FINISH_REBUILD). A rebuild that `forget`
    calls off (the follows changed while it read) stores nothing; the next visit rebuilds."""
    threshold = _big_threshold()
    built_ms = now_ms()
    flagged = await guard.call(
        lambda client: client.set(_rebuilding_key(user_id), built_ms, ex=REBUILD_SECONDS)
    )
    if flagged is None:
        return None
    big_rows = await fetch(
        sql(
            "SELECT u.id FROM follow f JOIN agora_user u ON u.id = f.followed"
            " WHERE f.follower = {user_id} AND u.followers_count > {threshold}",
            user_id=user_id,
            threshold=threshold,
        )
    )
    big_authors = [row["id"] for row in big_rows]
    newest = await home_post_ids(
        user_id, IdRange(), TIMELINE_SIZE, popular=threshold, visible_only=False
    )
    ids = [item.item_id for item in newest.items]
    meta = f"{built_ms};{','.join(str(author) for author in big_authors)}"
    keys = [timeline_key(user_id), big_authors_key(user_id), *_rebuild_keys(user_id)[1:]]

    async def finish(client: Any) -> int:
        stored: int = await client.eval(
            _FINISH_REBUILD, len(keys), *keys, _ttl_seconds(), meta, TIMELINE_SIZE, SENTINEL, *ids
        )
        return stored

    if await guard.call(finish) is None:
        return None
    return ids, big_authors
