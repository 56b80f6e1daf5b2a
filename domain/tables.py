"""The schema: the social graph's seven entities plus server-side sessions.

Counters (likes, comments, posts, followers) are denormalised onto their rows and
changed in the same transaction as the row they count, so feed pages never count.
Indexes that Piccolo cannot express (descending composites for keyset paging, the
case-insensitive username index) are created in the migrations with raw SQL.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

ROLES = ("member", "moderator", "admin")


class User(Table, tablename="agora_user"):
    id: Serial  # added by Piccolo; declared so type checkers see it
    # Unique ignoring case through the index lower(username) (see the migrations).
    username = Varchar(length=30, null=False)
    display_name = Varchar(length=50, null=False)
    bio = Text(default="")
    avatar = Varchar(length=255, null=True, default=None)
    password_hash = Varchar(length=255, null=False)
    role = Varchar(length=16, default="member")
    is_suspended = Boolean(default=False)
    posts_count = Integer(default=0)
    followers_count = Integer(default=0)
    following_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_active_at = Timestamptz(default=TimestamptzNow())

    # Spelled out because Piccolo cannot serialise an IN (...) check into a migration.
    role_is_known = Check((role == "member") | (role == "moderator") | (role == "admin"))


class Post(Table, tablename="post"):
    id = BigSerial(primary_key=True)
    author = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    text = Text(null=False)
    image = Varchar(length=255, null=True, default=None)
    image_alt = Text(default="")
    like_count = Integer(default=0)
    comment_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)


class Follow(Table, tablename="follow"):
    id: Serial  # added by Piccolo; declared so type checkers see it
    follower = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    followed = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_follow_per_pair = Unique([follower, followed])
    no_self_follow = Check(follower != followed)


class Block(Table, tablename="block"):
    """One member blocking another: neither may follow, like, bookmark or answer the other,
    and neither sees the other's posts (see domain/blocks.py)."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    blocker = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    # The unique pair's index serves lookups by blocker; the migration adds (blocked, blocker)
    # for "who blocked the viewer", which every feed read filters on.
    blocked = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_block_per_pair = Unique([blocker, blocked])
    no_self_block = Check(blocker != blocked)


class Like(Table, tablename="post_like"):
    id = BigSerial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    post = ForeignKey(references=Post, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_like_per_pair = Unique([user, post])


class Bookmark(Table, tablename="bookmark"):
    id = BigSerial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    post = ForeignKey(references=Post, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_bookmark_per_pair = Unique([user, post])


class Comment(Table, tablename="comment"):
    id: Serial  # added by Piccolo; declared so type checkers see it
    post = ForeignKey(references=Post, on_delete=OnDelete.cascade, null=False)
    author = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    # A reply to another comment on the same post; deleting a comment deletes its replies.
    parent: ForeignKey[Comment] = ForeignKey(
        references="self", on_delete=OnDelete.cascade, null=True, default=None
    )
    text = Text(null=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="user_session"):
    """A server-side login session; the cookie holds a random token, this row its SHA-256."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    token_hash = Varchar(length=64, unique=True, null=False)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=False, index=True)
    user_agent = Varchar(length=255, default="")


class OutboxMessage(Table, tablename="outbox"):
    """A background job recorded in the same transaction as the change that needs it, so it
    cannot be lost when Redis (and with it the job queue) is down; relayed to SAQ later."""

    id = BigSerial(primary_key=True)
    job = Varchar(length=64, null=False)
    payload = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES = (User, Post, Follow, Block, Like, Bookmark, Comment, Session, OutboxMessage)
