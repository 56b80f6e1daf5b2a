"""Fill the database named by DATABASE_URL with a realistic social graph, fast.

    python -m bench.seed --users 10000 --posts 1000000 --password bench-password [--reset]

Everything is generated in Python from one random seed (so a run is reproducible) and streamed
into Postgres with COPY (asyncpg's binary `copy_records_to_table`), inside one transaction: a
failed run leaves the database as it was. During the load the secondary indexes are dropped and
foreign-key triggers are off (both are rebuilt or were satisfied by construction), which is what
makes a million posts take seconds rather than minutes. The counters the app keeps denormalised
are then set from real counts, sequences moved past the loaded ids, and the tables analysed.

The graph is skewed like a real network: following `userR` has probability proportional to
R^-alpha, so `user1` (about --top-followers followers) and a few others are very popular while
most accounts have a few dozen; some users post, follow and like much more than others.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import random
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.accounts.passwords import hash_password
from domain.core.settings import get_settings

# The tables the seed fills, in the order it fills them: every row's references come first.
TABLES = ("agora_user", "follow", "post", "post_like", "bookmark", "comment")
DAY_SECONDS = 86_400.0

_WORD_TEXT = (
    "the a of and to in is it that for on with as was at by this be from or have an they "
    "coffee river morning city music garden bike train rain summer winter book film park "
    "friends weekend kitchen bread market photo light street walk ocean mountain project "
    "code release bug deploy server database cache queue feed timeline today tomorrow "
    "finally again really great small quiet busy early late new old open closed warm cold"
)
_WORDS = tuple(_WORD_TEXT.split())
_TAGS = ("photography", "cycling", "cooking", "python", "music", "books", "running", "art")
_FIRST_NAMES = ("Ada", "Bo", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun")
_LAST_NAMES = ("Achebe", "Berg", "Costa", "Diaz", "Eriksen", "Fischer", "Gupta", "Haddad")
_BIOS = (
    "Writes code, bakes bread.",
    "Photographer on weekends, commuter on weekdays.",
    "Here for the cycling threads.",
    "Reading my way through the library, one shelf at a time.",
    "",
)
_TEXT_POOL_SIZE = 4096  # distinct post texts; picking from a pool is ~20x faster than joining


@dataclass(frozen=True)
class SeedConfig:
    users: int = 10_000
    posts: int = 1_000_000
    password: str = "bench-password"
    top_followers: int = 5_000  # followers of user1, the fan-out test's author
    follow_alpha: float = 0.6  # steepness of the power law of popularity
    likes: int | None = None  # None: as many as posts
    bookmarks: int | None = None  # None: posts / 20
    comments: int | None = None  # None: posts / 5
    reply_share: float = 0.3  # share of comments that answer an earlier comment
    days: float = 90.0  # posts are spread over this many past days
    seed: int = 42

    @property
    def like_count(self) -> int:
        return self.posts if self.likes is None else self.likes

    @property
    def bookmark_count(self) -> int:
        return self.posts // 20 if self.bookmarks is None else self.bookmarks

    @property
    def comment_count(self) -> int:
        return self.posts // 5 if self.comments is None else self.comments


@dataclass
class Timings:
    """Seconds per step, in the order the steps ran."""

    steps: dict[str, float] = field(default_factory=dict)

    def record(self, step: str, started: float) -> None:
        self.steps[step] = time.perf_counter() - started
        print(f"  {step:<34} {self.steps[step]:8.2f} s", flush=True)

    @property
    def total(self) -> float:
        return sum(self.steps.values())


class DatabaseNotEmpty(RuntimeError):
    """The target database already has users and --reset was not given."""


# -- generation: pure functions of the config and a seeded Random ---------------------------


def _activity(rng: random.Random, count: int) -> list[float]:
    """How active each user is (index 0 is user1): log-normal, so a few do far more than most.
    user1, the most followed, is also the most active poster, as popular accounts tend to be:
    its profile is the benchmark's profile page and its posts reach thousands of timelines."""
    weights = [rng.lognormvariate(0.0, 0.8) for _ in range(count)]
    weights[0] = max(weights)
    return weights


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def user_records(
    config: SeedConfig, rng: random.Random, password_hash: str, now: float
) -> Iterator[tuple[Any, ...]]:
    oldest_post = now - config.days * DAY_SECONDS
    for number in range(1, config.users + 1):
        display_name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)} {number}"
        joined = oldest_post - rng.uniform(1, 365) * DAY_SECONDS
        # Within the last 20 days: most count as active for timeline warming, some do not.
        last_active = now - rng.uniform(0, 20) * DAY_SECONDS
        yield (
            number,
            f"user{number}",
            display_name,
            rng.choice(_BIOS),
            password_hash,
            _timestamp(joined),
            _timestamp(last_active),
        )


USER_COLUMNS = (
    "id",
    "username",
    "display_name",
    "bio",
    "password_hash",
    "created_at",
    "last_active_at",
)


def _weighted_distinct(
    rng: random.Random,
    population: int,
    cumulative: list[float],
    wanted: int,
    excluded: int,
) -> set[int]:
    """`wanted` distinct user numbers (1-based), drawn by weight, never `excluded`."""
    if wanted > (population - 1) // 3:
        # Drawing half the users by weight would take many rounds; uniform is close enough.
        others = [n for n in range(1, population + 1) if n != excluded]
        return set(rng.sample(others, min(wanted, len(others))))
    chosen: set[int] = set()
    total = cumulative[-1]
    while len(chosen) < wanted:
        for _ in range(2 * (wanted - len(chosen))):
            number = bisect.bisect(cumulative, rng.random() * total) + 1
            if number != excluded:
                chosen.add(min(number, population))
                if len(chosen) == wanted:
                    break
    return chosen


def follow_records(
    config: SeedConfig, rng: random.Random, activity: list[float], now: float
) -> list[tuple[int, int, datetime]]:
    """(follower, followed, created_at): userR is followed by about top * R^-alpha users."""
    population = config.users
    if population < 2:
        return []
    cumulative = _cumulative(activity)
    top_share = min(1.0, config.top_followers / (population - 1))
    oldest = now - (config.days + 30) * DAY_SECONDS
    records: list[tuple[int, int, datetime]] = []
    for followed in range(1, population + 1):
        share = top_share * followed**-config.follow_alpha
        wanted = min(population - 1, round(share * (population - 1)))
        for follower in sorted(_weighted_distinct(rng, population, cumulative, wanted, followed)):
            records.append((follower, followed, _timestamp(rng.uniform(oldest, now))))
    return records


FOLLOW_COLUMNS = ("follower", "followed", "created_at")


def _text_pool(rng: random.Random, users: int, size: int, max_words: int) -> list[str]:
    """Plausible texts with the odd #tag and @mention, so rendering does real link work."""
    pool = []
    for _ in range(size):
        words = rng.choices(_WORDS, k=rng.randint(4, max_words))
        if rng.random() < 0.15:
            words.append(f"#{rng.choice(_TAGS)}")
        if rng.random() < 0.1:
            words.insert(0, f"@user{rng.randint(1, users)}")
        pool.append(" ".join(words).capitalize() + ".")
    return pool


def post_times(config: SeedConfig, rng: random.Random, now: float) -> array[float]:
    """Each post's time, strictly increasing with its id: one random instant per equal slot."""
    start = now - config.days * DAY_SECONDS
    slot = (now - start) / max(config.posts, 1)
    return array("d", (start + (index + rng.random()) * slot for index in range(config.posts)))


def post_records(
    config: SeedConfig, rng: random.Random, activity: list[float], times: array[float]
) -> Iterator[tuple[Any, ...]]:
    """Posts in created_at order with ids 1..N, so ids increase with time as the app expects."""
    pool = _text_pool(rng, config.users, _TEXT_POOL_SIZE, max_words=45)
    # Drawn in one call: per-post calls would cost more than the COPY itself.
    authors = rng.choices(
        range(1, config.users + 1), cum_weights=_cumulative(activity), k=config.posts
    )
    for index, author in enumerate(authors):
        yield (index + 1, author, rng.choice(pool), _timestamp(times[index]))


POST_COLUMNS = ("id", "author", "text", "created_at")


def _recent_post(rng: random.Random, posts: int, skew: float) -> int:
    """A post id, recent ones far likelier: engagement concentrates on fresh posts."""
    return posts - int(posts * rng.random() ** skew)


def _reaction_time(rng: random.Random, created: float, now: float) -> datetime:
    return _timestamp(created + rng.random() * min(now - created, 3 * DAY_SECONDS))


def pair_records(
    config: SeedConfig, rng: random.Random, count: int, times: array[float], now: float
) -> Iterator[tuple[Any, ...]]:
    """(user, post, created_at) pairs, each pair at most once: likes or bookmarks."""
    if config.posts == 0:
        return
    seen: set[int] = set()
    wanted = min(count, config.users * config.posts)
    while len(seen) < wanted:
        user = rng.randint(1, config.users)
        post = _recent_post(rng, config.posts, skew=2.0)
        key = user * (config.posts + 1) + post
        if key not in seen:
            seen.add(key)
            yield (user, post, _reaction_time(rng, times[post - 1], now))


PAIR_COLUMNS = ("user", "post", "created_at")


def comment_records(
    config: SeedConfig, rng: random.Random, times: array[float], now: float
) -> Iterator[tuple[Any, ...]]:
    """Comments on mostly recent posts; some reply to an earlier comment on the same post."""
    if config.posts == 0:
        return
    pool = _text_pool(rng, config.users, 512, max_words=20)
    earlier: dict[int, list[tuple[int, float]]] = {}  # post -> [(comment id, time)]
    for comment_id in range(1, config.comment_count + 1):
        post = _recent_post(rng, config.posts, skew=2.0)
        thread = earlier.setdefault(post, [])
        parent: int | None = None
        after = times[post - 1]
        if thread and rng.random() < config.reply_share:
            parent, after = rng.choice(thread)
        created = after + rng.random() * min(now - after, 2 * DAY_SECONDS)
        thread.append((comment_id, created))
        author = rng.randint(1, config.users)
        yield (comment_id, post, author, parent, rng.choice(pool), _timestamp(created))


COMMENT_COLUMNS = ("id", "post", "author", "parent", "text", "created_at")


# -- loading ---------------------------------------------------------------------------------


async def _is_empty(connection: asyncpg.Connection) -> bool:
    return not await connection.fetchval("SELECT EXISTS (SELECT 1 FROM agora_user)")


async def _truncate(connection: asyncpg.Connection) -> None:
    """Empty every table but Piccolo's record of applied migrations: sessions, queued outbox
    jobs and API tokens of an old graph would otherwise point at users and posts now gone."""
    names = await connection.fetch(
        "SELECT quote_ident(tablename) AS name FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename <> 'migration'"
    )
    listed = ", ".join(row["name"] for row in names)
    await connection.execute(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")


async def _drop_secondary_indexes(connection: asyncpg.Connection) -> list[str]:
    """Drop the indexes no constraint owns and return their definitions to rebuild later:
    one sorted build per index is much cheaper than a million scattered inserts."""
    rows = await connection.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        list(TABLES),
    )
    for row in rows:
        await connection.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def _skip_foreign_key_checks(connection: asyncpg.Connection) -> bool:
    """Turn off FK triggers for this transaction (superuser only); the data is consistent by
    construction. Returns whether it worked; without it the load is merely slower."""
    try:
        async with connection.transaction():  # a savepoint, so a refusal does not abort all
            await connection.execute("SET LOCAL session_replication_role = replica")
    except asyncpg.InsufficientPrivilegeError:
        return False
    return True


async def _copy(
    connection: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    records: Iterable[tuple[Any, ...]],
) -> None:
    await connection.copy_records_to_table(table, records=records, columns=list(columns))


COUNTER_UPDATES = (
    (
        "agora_user.posts_count",
        """UPDATE agora_user u SET posts_count = c.n
           FROM (SELECT author, count(*) AS n FROM post GROUP BY author) c
           WHERE u.id = c.author""",
    ),
    (
        "agora_user.followers_count",
        """UPDATE agora_user u SET followers_count = c.n
           FROM (SELECT followed, count(*) AS n FROM follow GROUP BY followed) c
           WHERE u.id = c.followed""",
    ),
    (
        "agora_user.following_count",
        """UPDATE agora_user u SET following_count = c.n
           FROM (SELECT follower, count(*) AS n FROM follow GROUP BY follower) c
           WHERE u.id = c.follower""",
    ),
    (
        "post.like_count",
        """UPDATE post p SET like_count = c.n
           FROM (SELECT post, count(*) AS n FROM post_like GROUP BY post) c
           WHERE p.id = c.post""",
    ),
    (
        "post.comment_count",
        """UPDATE post p SET comment_count = c.n
           FROM (SELECT post, count(*) AS n FROM comment GROUP BY post) c
           WHERE p.id = c.post""",
    ),
)


async def _reset_sequences(connection: asyncpg.Connection) -> None:
    """Move each id sequence past the ids COPY wrote, so the app's next insert does not clash."""
    for table in TABLES:
        await connection.execute(
            f"""SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                              COALESCE(max(id), 1), max(id) IS NOT NULL)
                FROM "{table}" """
        )


async def _load(
    connection: asyncpg.Connection, config: SeedConfig, timings: Timings, reset: bool
) -> None:
    """Every write, in the caller's transaction."""
    started = time.perf_counter()
    if reset:
        await _truncate(connection)
    elif not await _is_empty(connection):
        raise DatabaseNotEmpty(
            "The database already has users. Seed an empty database, or pass --reset to "
            "empty its tables first."
        )
    fast = await _skip_foreign_key_checks(connection)
    index_definitions = await _drop_secondary_indexes(connection)
    await connection.execute("SET LOCAL synchronous_commit = off")
    timings.record("prepare" + ("" if fast else " (FK checks on: not superuser)"), started)

    rng = random.Random(config.seed)
    now = time.time() - 60  # a minute ago, so nothing is in the future for the server
    started = time.perf_counter()
    password_hash = hash_password(config.password)  # one hash for all: argon2 is slow on purpose
    timings.record("password hash", started)

    activity = _activity(rng, config.users)
    started = time.perf_counter()
    await _copy(
        connection, "agora_user", USER_COLUMNS, user_records(config, rng, password_hash, now)
    )
    timings.record(f"users ({config.users:,})", started)

    started = time.perf_counter()
    follows = follow_records(config, rng, activity, now)
    await _copy(connection, "follow", FOLLOW_COLUMNS, follows)
    timings.record(f"follows ({len(follows):,})", started)

    started = time.perf_counter()
    times = post_times(config, rng, now)
    await _copy(connection, "post", POST_COLUMNS, post_records(config, rng, activity, times))
    timings.record(f"posts ({config.posts:,})", started)

    for table, count in (("post_like", config.like_count), ("bookmark", config.bookmark_count)):
        started = time.perf_counter()
        await _copy(connection, table, PAIR_COLUMNS, pair_records(config, rng, count, times, now))
        timings.record(f"{table} ({count:,})", started)

    started = time.perf_counter()
    await _copy(connection, "comment", COMMENT_COLUMNS, comment_records(config, rng, times, now))
    timings.record(f"comments ({config.comment_count:,})", started)

    # Counters before the indexes come back: the UPDATEs then touch no secondary index.
    for name, statement in COUNTER_UPDATES:
        started = time.perf_counter()
        await connection.execute(statement)
        timings.record(f"counter {name}", started)

    started = time.perf_counter()
    for definition in index_definitions:
        await connection.execute(definition)
    await _reset_sequences(connection)
    timings.record(f"indexes ({len(index_definitions)}) and sequences", started)


async def seed(connection: asyncpg.Connection, config: SeedConfig, reset: bool = False) -> Timings:
    """Seed through `connection`; all or nothing. Raises DatabaseNotEmpty unless empty/reset."""
    timings = Timings()
    async with connection.transaction():
        await _load(connection, config, timings, reset)
    started = time.perf_counter()
    # Outside the transaction: VACUUM clears the counter UPDATEs' dead rows and sets the
    # visibility map (index-only scans); ANALYZE gives the planner real statistics.
    await connection.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    timings.record("vacuum analyze", started)
    return timings


def parse_args(argv: Sequence[str] | None = None) -> tuple[SeedConfig, bool]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description="Fill DATABASE_URL with a benchmark graph."
    )
    defaults = SeedConfig()
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument("--posts", type=int, default=defaults.posts)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--top-followers", type=int, default=defaults.top_followers)
    parser.add_argument("--follow-alpha", type=float, default=defaults.follow_alpha)
    parser.add_argument("--likes", type=int, help="default: as many as posts")
    parser.add_argument("--bookmarks", type=int, help="default: posts / 20")
    parser.add_argument("--comments", type=int, help="default: posts / 5")
    parser.add_argument("--reply-share", type=float, default=defaults.reply_share)
    parser.add_argument("--days", type=float, default=defaults.days)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--reset", action="store_true", help="empty the tables first")
    args = parser.parse_args(argv)
    if args.users < 1 or args.posts < 0:
        parser.error("--users must be at least 1 and --posts at least 0")
    config = SeedConfig(
        users=args.users,
        posts=args.posts,
        password=args.password,
        top_followers=args.top_followers,
        follow_alpha=args.follow_alpha,
        likes=args.likes,
        bookmarks=args.bookmarks,
        comments=args.comments,
        reply_share=args.reply_share,
        days=args.days,
        seed=args.seed,
    )
    return config, args.reset


async def _main(config: SeedConfig, reset: bool) -> int:
    database_url = get_settings().database_url
    print(f"Seeding {database_url} ({config.users:,} users, {config.posts:,} posts)", flush=True)
    connection = await asyncpg.connect(database_url)
    try:
        timings = await seed(connection, config, reset)
    except DatabaseNotEmpty as error:
        print(f"bench.seed: {error}", file=sys.stderr)
        return 2
    finally:
        await connection.close()
    print(f"Done in {timings.total:.1f} s", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    config, reset = parse_args(argv)
    return asyncio.run(_main(config, reset))


if __name__ == "__main__":
    sys.exit(main())
