"""The social graph: who follows whom, who asks to follow whom, and who blocks whom (one row
per ordered pair)."""

from __future__ import annotations

from piccolo.columns import (
    ForeignKey,
    OnDelete,
    Serial,
    Timestamptz,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from domain.accounts.tables import User


class Follow(Table, tablename="follow"):
    id: Serial  # added by Piccolo; declared so type checkers see it
    follower = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    followed = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_follow_per_pair = Unique([follower, followed])
    no_self_follow = Check(follower != followed)


class FollowRequest(Table, tablename="follow_request"):
    """A member asking to follow a locked account, until its owner accepts (the request
    becomes a `follow` row) or rejects it, or the asker withdraws it. Kept apart from `follow`,
    so nothing that reads follows (home timelines, follower lists and counts, who may see a
    post) can take a request for a follow (see domain/social/follow_requests.py)."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    follower = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    # The owner's list and count of waiting requests read by this column.
    followed = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())

    one_request_per_pair = Unique([follower, followed])
    no_self_request = Check(follower != followed)


class Block(Table, tablename="block"):
    """One member blocking another: neither may follow, like, bookmark or answer the other,
    and neither sees the other's posts (see domain/social/blocks.py)."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    blocker = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    # The unique pair's index serves lookups by blocker; the migration adds (blocked, blocker)
    # for "who blocked the viewer", which every feed read filters on.
    blocked = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_block_per_pair = Unique([blocker, blocked])
    no_self_block = Check(blocker != blocked)


SOCIAL_TABLES = (Follow, FollowRequest, Block)
