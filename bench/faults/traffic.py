"""Logged-in clients that write over HTTP as browsers without JavaScript do, and the ledger of
every answer they got.

Each client is a member (`user1` ... `userN` of the seeded graph) that logs in through the
form (`bench.load.log_in`) and then, until stopped, posts, likes, comments, follows and reads
its home page in a random mix. Every write makes something new (a post or comment with its own
text, a like of a post it has not liked, a follow of someone it does not follow), so each
acknowledged write names a row that must exist afterwards: the id in the redirect of a post or
a comment, the (user, post) of a like, the (follower, followed) of a follow.

Writes go through httpx rather than `bench.keepalive`: they carry form bodies and their
answers' `Location` is read, and at a few hundred requests a second its cost does not matter.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import asyncpg
import httpx

from bench.load import CSRF_COOKIE, log_in

KINDS = ("post", "like", "comment", "follow", "read")
WEIGHTS = (3, 3, 2, 1, 2)
WRITES = frozenset(KINDS) - {"read"}
REQUEST_TIMEOUT_SECONDS = 10.0
_POST_ID = re.compile(r"#post-(\d+)$")
_COMMENT_ID = re.compile(r"[?&]comment=(\d+)")


@dataclass(frozen=True)
class Answer:
    """One request and what came back: a status, or the transport error instead."""

    kind: str
    sent: float  # time.monotonic()
    answered: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    error: str = ""  # what went wrong, when something did
    ref: tuple[int, ...] = ()  # what an acknowledged write made; see the module docstring

    @property
    def acknowledged(self) -> bool:
        """2xx, or the form's 303 anywhere but the log-in page (a lost session)."""
        if self.error or self.status is None:
            return False
        return 200 <= self.status < 300 or self.status == 303

    @property
    def failed(self) -> bool:
        return not self.acknowledged

    @property
    def outcome(self) -> str:
        return self.error or str(self.status)


@dataclass
class Member:
    """One logged-in client and what it will do next."""

    username: str
    user_id: int
    client: httpx.AsyncClient
    csrf: str
    rng: random.Random
    to_like: list[int] = field(default_factory=list)
    to_follow: list[tuple[int, str]] = field(default_factory=list)  # (id, username)
    posts_made: int = 0

    def form(self, **fields: str) -> dict[str, str]:
        return {"_csrf_token": self.csrf, **fields}


async def log_in_members(
    base_url: str, database_url: str, count: int, password: str, seeded_posts: int
) -> list[Member]:
    """Log `user1` ... `user<count>` in and give each its own order of posts to like and
    accounts to follow (every seeded account but the clients, which follow each other first)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT id, username FROM agora_user ORDER BY id")
    finally:
        await connection.close()
    clients = {f"user{number}" for number in range(1, count + 1)}
    others = [(row["id"], row["username"]) for row in rows if row["username"] not in clients]
    ids = {row["username"]: row["id"] for row in rows}
    members: list[Member] = []
    for number in range(1, count + 1):
        username = f"user{number}"
        client = httpx.AsyncClient(
            base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False
        )
        try:
            await log_in(client, username, password)
            # The token is bound to the session: the first page after log-in sets it.
            await client.get("/")
            csrf = client.cookies.get(CSRF_COOKIE) or ""
        except BaseException:
            await client.aclose()
            await close_members(members)
            raise
        rng = random.Random(number)
        to_like = list(range(1, seeded_posts + 1))
        to_follow = list(others)
        rng.shuffle(to_like)
        rng.shuffle(to_follow)
        members.append(Member(username, ids[username], client, csrf, rng, to_like, to_follow))
    return members


async def follow_each_other(members: Sequence[Member]) -> None:
    """So that every client's posts belong in every other client's home timeline."""
    for member in members:
        for other in members:
            if other is not member:
                response = await member.client.post(
                    f"/@{other.username}/follow", data=member.form()
                )
                if response.status_code != 303:
                    raise RuntimeError(f"{member.username} could not follow {other.username}")


async def close_members(members: Sequence[Member]) -> None:
    for member in members:
        await member.client.aclose()


def _kind(member: Member) -> str:
    kind = member.rng.choices(KINDS, WEIGHTS)[0]
    if (kind == "like" and not member.to_like) or (kind == "follow" and not member.to_follow):
        return "post"
    return kind


async def act(member: Member, kind: str, marker: str, seeded_posts: int) -> Answer:
    """One request of kind `kind`, and its answer."""
    sent = time.monotonic()
    ref: tuple[int, ...] = ()
    try:
        if kind == "post":
            member.posts_made += 1
            text = f"{marker} {member.username} post {member.posts_made}"
            response = await member.client.post("/posts", data=member.form(text=text))
            match = _POST_ID.search(response.headers.get("location", ""))
            ref = (int(match.group(1)),) if match else ()
        elif kind == "like":
            post_id = member.to_like.pop()
            response = await member.client.post(f"/posts/{post_id}/like", data=member.form())
            ref = (member.user_id, post_id)
        elif kind == "comment":
            post_id = member.rng.randint(1, seeded_posts)
            text = f"{marker} {member.username} comment"
            response = await member.client.post(
                f"/posts/{post_id}/comments", data=member.form(text=text)
            )
            match = _COMMENT_ID.search(response.headers.get("location", ""))
            ref = (int(match.group(1)),) if match else ()
        elif kind == "follow":
            followed_id, followed = member.to_follow.pop()
            response = await member.client.post(f"/@{followed}/follow", data=member.form())
            ref = (member.user_id, followed_id)
        else:
            response = await member.client.get("/")
    except httpx.HTTPError as error:
        return Answer(kind, sent, time.monotonic(), None, type(error).__name__)
    status = response.status_code
    if status == 303 and response.headers.get("location", "").startswith("/login"):
        # Sent to the log-in page: the session was not recognised. Not an acknowledgement.
        return Answer(kind, sent, time.monotonic(), status, "sent to /login")
    return Answer(kind, sent, time.monotonic(), status, ref=ref)


class Traffic:
    """The members' requests, back to back (with `think` seconds between), until stopped."""

    def __init__(
        self, members: Sequence[Member], marker: str, seeded_posts: int, think: float
    ) -> None:
        self.members = members
        self.marker = marker
        self.seeded_posts = seeded_posts
        self.think = think
        self.answers: list[Answer] = []
        self.in_flight_writes = 0
        self.writing = asyncio.Event()  # set while at least one write waits for its answer
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(member)) for member in self.members]

    async def stop(self) -> None:
        """Let every client finish the request it is waiting on, then stop."""
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _loop(self, member: Member) -> None:
        while not self._stop.is_set():
            kind = _kind(member)
            writing = kind in WRITES
            self.in_flight_writes += writing
            if writing:
                self.writing.set()
            try:
                answer = await act(member, kind, self.marker, self.seeded_posts)
            finally:
                self.in_flight_writes -= writing
                if not self.in_flight_writes:
                    self.writing.clear()
            self.answers.append(answer)
            with suppress(TimeoutError):
                async with asyncio.timeout(self.think):
                    await self._stop.wait()
