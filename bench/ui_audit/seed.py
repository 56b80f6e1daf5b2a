"""What the UI audit shows and the page budgets weigh: people, posts, comments, likes, follows
and notifications, made through the domain as the pages would make them.

Jobs the domain records (fan-out, notifications, thumbnails) are run at once by
`run_recorded_jobs`, with the worker's own job functions, so no worker process is needed.
Needs the database pool open and a Redis guard in use (the app's lifespan, or `bench.ui_audit.run`).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from PIL import Image, ImageDraw

from domain import accounts, notifications, posts, social
from domain.accounts import User
from domain.core import outbox
from domain.core.outbox import Job
from domain.feeds import PAGE_SIZE
from tasks.media_jobs import MEDIA_JOBS
from tasks.notification_jobs import NOTIFICATION_JOBS
from tasks.queue import JobFunction, WorkerContext
from tasks.timeline_jobs import TIMELINE_JOBS

SYLLABLES = [
    "ka",
    "ri",
    "to",
    "mu",
    "se",
    "la",
    "ne",
    "vo",
    "pa",
    "di",
    "ga",
    "lu",
    "fe",
    "mo",
    "ta",
    "shi",
    "ro",
    "en",
    "an",
    "or",
    "el",
    "ir",
    "us",
    "ba",
    "ké",
    "çe",
    "ün",
]
PASSWORD = "audit passphrase, not secret"
# The job functions without the worker's keep-alive wrapper, which needs a SAQ job to touch.
JOBS: dict[Job, JobFunction] = {**TIMELINE_JOBS, **NOTIFICATION_JOBS, **MEDIA_JOBS}
# These jobs read nothing from their context (as in tests/helpers.py's NO_CONTEXT).
NO_CONTEXT = cast(WorkerContext, {})


async def run_recorded_jobs() -> int:
    """Run every job waiting in the outbox now, as the worker would; returns how many ran."""

    async def run(messages: Sequence[outbox.Message]) -> list[outbox.QueuedAs]:
        for message in messages:
            await JOBS[Job(message.job)](NO_CONTEXT, **message.payload)
        return [None] * len(messages)  # every one done

    return await outbox.relay(run, lease_seconds=0.0)


def picture(width: int, height: int, hue: int, kind: str = "JPEG") -> bytes:
    """A made-up picture (a sky, hills and a sun), `width` x `height` pixels, as JPEG or PNG
    bytes; `hue` (0-255) sets its colours so that different ones look different."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        light = 255 - 120 * y // height
        draw.line([(0, y), (width, y)], fill=((hue + 40) % 256, light * 3 // 4, light))
    sun = min(width, height) // 6
    draw.ellipse([width * 2 // 3, sun, width * 2 // 3 + sun, sun * 2], fill=(250, 210, 90))
    draw.polygon(
        [(0, height), (width // 3, height // 2), (width * 2 // 3, height), (0, height)],
        fill=(40, (hue + 120) % 256, 70),
    )
    draw.polygon(
        [(width // 3, height), (width * 3 // 4, height * 3 // 5), (width, height)],
        fill=(30, (hue + 90) % 256, 60),
    )
    output = io.BytesIO()
    image.save(output, kind, quality=85)
    return output.getvalue()


def long_text(number: int, mention: str) -> str:
    """A post of the longest allowed length (500 characters) with a link, two tags and a
    mention around words made up from random syllables, different for each `number`: text
    compresses less well than real prose, so sizes measured on it are on the safe side."""
    rng = random.Random(number)
    words = (
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
        for _ in range(posts.MAX_POST_LENGTH)
    )
    start = f"Post {number} with @{mention}: https://example.org/rides/{number} #cycling #weekend "
    return (start + " ".join(words))[: posts.MAX_POST_LENGTH].rstrip()


@dataclass(frozen=True)
class Showcase:
    """The seeded accounts and the URLs of the pages the audit visits, logged in as `member`."""

    member: str
    password: str
    pages: dict[str, str]


async def _person(username: str, name: str, bio: str, avatar_hue: int | None) -> User:
    user = await accounts.sign_up(username, name, PASSWORD)
    avatar = None if avatar_hue is None else picture(400, 400, avatar_hue, "PNG")
    return await accounts.save_profile(user, name, bio, avatar)


async def seed_showcase() -> Showcase:
    """A small, lively network around `ada`: four people (two with avatars), posts with
    links, tags, mentions and an image, a thread of comments, likes, follows, a bookmark and
    unread notifications of every kind."""
    ada = await _person("ada", "Ada Achebe", "Writes code, bakes bread. Cycling on Sundays.", 20)
    bo = await _person("bo", "Bo Berg", "Photographer on weekends, commuter on weekdays.", None)
    chen = await _person("chen", "Chen Costa", "Here for the cycling threads.", 150)
    dara = await _person("dara", "Dara Diaz-Eriksen", "", None)
    for follower, followed in ((ada, bo), (ada, chen), (ada, dara), (bo, ada), (chen, ada)):
        await social.follow(follower, followed.id)
    await social.follow(dara, ada.id)

    await posts.publish(ada, "Sourdough attempt number four: better crumb, same burnt crust.")
    await posts.publish(bo, "New lens day. Anyone up for a #photography walk on Saturday?")
    await posts.publish(
        dara, "Reading list for the winter: https://example.org/books, suggestions welcome #books"
    )
    await posts.publish(
        chen,
        "Sunday loop report: 62 km along the river, out past the old mill and back through "
        "the orchards. Headwind all the way out, tailwind all the way back, which almost never "
        "happens. @ada kept us going up the long hill with promises of cake at the market, and "
        "the cake was real. Route, photos and the cafe list: https://example.org/rides/sunday "
        "#cycling #weekend",
    )
    featured = await posts.publish(
        chen,
        "The river at dawn, before the city wakes up. #cycling #photography",
        image=posts.AttachedImage(
            picture(1200, 800, 90), "A river under a pale morning sky, green hills and the sun"
        ),
    )
    mine = await posts.publish(
        ada, "Thanks @chen for the route tips, the hill was worth it #cycling"
    )
    first = await posts.publish(
        bo, "Beautiful! Which bridge is that?", in_reply_to=posts.ReplyTarget(featured.id)
    )
    await posts.publish(
        chen,
        "The old railway bridge, just past the market.",
        in_reply_to=posts.ReplyTarget(featured.id, first.id),
    )
    await posts.publish(ada, "Worth the early start.", in_reply_to=posts.ReplyTarget(featured.id))
    await posts.publish(bo, "Great ride!", in_reply_to=posts.ReplyTarget(mine.id))
    for liker, liked in ((ada, featured), (bo, featured), (bo, mine), (chen, mine)):
        await posts.favourite(liker, liked.id)
    await posts.bookmark(ada, featured.id)
    await posts.publish(dara, "@ada are you joining the #books club on Thursday?")
    await run_recorded_jobs()
    return Showcase(
        member="ada",
        password=PASSWORD,
        pages={
            "home": "/",
            "profile": "/@chen",
            "post": f"/@chen/{featured.id}",
            "notifications": "/notifications",
            "explore": "/explore",
            "search": "/search?q=cycling",
            "settings": "/settings",
            "followers": "/@ada/followers",
        },
    )


async def fill_largest_pages(reader: User, author: User) -> int:
    """The fullest pages there are: `author` writes a page and one more of 500-character
    posts (link, tags, mention) that `reader` follows, likes and comments on, so the reader's
    home feed, the author's profile and the author's notifications are each a full page.
    Returns the number of posts written.

    The notifications are delivered here (delivery is idempotent), not left to the recorded
    jobs: a web process running meanwhile relays those to a worker that may not be running.
    """
    await social.follow(reader, author.id)
    count = PAGE_SIZE + 1
    for number in range(count):
        post = await posts.publish(author, long_text(number, reader.username))
        await posts.favourite(reader, post.id)
        await notifications.deliver("like", actor_id=reader.id, post_id=post.id)
        comment = await posts.publish(
            reader, long_text(number, author.username), in_reply_to=posts.ReplyTarget(post.id)
        )
        await notifications.deliver("comment", comment_id=comment.id)
    return count
