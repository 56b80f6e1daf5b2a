"""One post per rendered form.

The composer and the reply form carry a fresh `submission` token each time they are rendered.
Sending the same form again (Back after posting, then Post; a second click before the first
answer without JavaScript) answers with what the first sending made instead of posting
twice. The token is kept as the post's idempotency key (domain.posts.run_once, Mastodon's
`Idempotency-Key` rule: per member, for an hour). A form sent without one (a script, an old
page) simply posts.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

from litestar.exceptions import ValidationException

from domain import posts
from domain.accounts import User

SUBMISSION_FIELD = "submission"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_token() -> str:
    """A fresh token for one rendering of a form (24 URL-safe characters)."""
    return secrets.token_urlsafe(18)


async def publish_once(
    viewer: User, token: str, publish: Callable[[], Awaitable[int]]
) -> tuple[int, bool]:
    """Run `publish` (which returns the new post's or comment's id) once per form token;
    returns the id and whether this call made it. ValidationException (400) for a token that
    no form of ours could have sent."""
    if not token:
        return await publish(), True
    if not _TOKEN.fullmatch(token):
        raise ValidationException(
            "This form's submission token is malformed: reload the page and send it again."
        )

    async def create() -> str:
        return str(await publish())

    made, fresh = await posts.run_once(viewer, f"form:{token}", create)
    return int(made), fresh
