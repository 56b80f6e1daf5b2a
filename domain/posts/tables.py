"""Posts, their comments, likes and bookmarks, and the API's uploads and idempotency keys.

Counters (likes, comments) are denormalised onto the post and changed in the same statement
as the row they count, so feed pages never count. Indexes that Piccolo cannot express
(descending composites for keyset paging, the full-text index) are in the migrations.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
    BigInt,
    BigSerial,
    Boolean,
    DoublePrecision,
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

from domain.accounts.tables import User

# What every path says of a post that does not exist (or that its reader may not see).
POST_MISSING = "That post does not exist."


class Conversation(Table, tablename="conversation"):
    """The people of a direct thread (domain.posts.conversations): a direct post to exactly
    these people, its author among them, continues it."""

    id = BigSerial(primary_key=True)
    # The sorted ids of its author and the accounts it mentions.
    participants = Array(base_column=Integer(), null=False)
    created_at = Timestamptz(default=TimestamptzNow())

    one_conversation_per_group = Unique([participants])


class ConversationMember(Table, tablename="conversation_member"):
    """One participant's place in a conversation: where it sorts in their list, whether they
    have read its newest message, whether they removed it from their list (until the next)."""

    id = BigSerial(primary_key=True)
    conversation = ForeignKey(references=Conversation, on_delete=OnDelete.cascade, null=False)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    # The id of the newest message when it arrived: the list's order and paging key (kept as
    # a number, so deleting that post does not move the conversation).
    last_post = BigInt(null=False)
    unread = Boolean(default=False)
    removed = Boolean(default=False)

    one_place_per_member = Unique([user, conversation])


class Post(Table, tablename="post"):
    id = BigSerial(primary_key=True)
    author = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    text = Text(null=False)
    # The canonical tags of the text (posts.normalize_tag), for the one tag test
    # (feeds.has_tag) through a GIN index: how PostgreSQL would fold case or split CJK text
    # depends on its locale, so the text rules are applied once, in Python, when publishing.
    tags = Array(base_column=Text(), default=list)
    image = Varchar(length=255, null=True, default=None)
    image_alt = Text(default="")
    # The author marked the image as sensitive: cards hide it until the reader opens it.
    sensitive = Boolean(default=False)
    # The language the author says the text is in (an ISO 639 code, as Mastodon's); None unsaid.
    language = Varchar(length=16, null=True, default=None)
    # Who may see it (domain.core.visibility): public, unlisted, private or direct.
    visibility = Varchar(length=8, default="public")
    # The ids of the accounts the text @mentions, resolved when publishing: a mentioned
    # account may see the post whatever its visibility (domain.core.visibility).
    mentions = Array(base_column=Integer(), default=list)
    # The conversation a direct post belongs to; None for the other visibilities.
    conversation = ForeignKey(
        references=Conversation, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    like_count = Integer(default=0)
    comment_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)

    # Spelled out because Piccolo cannot serialise an IN (...) check into a migration.
    visibility_is_known = Check(
        (visibility == "public")
        | (visibility == "unlisted")
        | (visibility == "private")
        | (visibility == "direct")
    )


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
    language = Varchar(length=16, null=True, default=None)  # as Post.language
    created_at = Timestamptz(default=TimestamptzNow())


class IdempotencyKey(Table, tablename="idempotency_key"):
    """`Idempotency-Key` of a status creation, so a retried request posts once."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    key = Varchar(length=255, null=False)
    status_id = Varchar(length=32, null=True, default=None)  # the API id of what was created
    created_at = Timestamptz(default=TimestamptzNow())

    one_key_per_user = Unique([user, key])


class MediaUpload(Table, tablename="media_upload"):
    """An image sent to POST /api/v2/media, kept until a status carries it (media_uploads.py).

    Mastodon clients upload first and post later; the post then takes the image and the
    description from this row, and `post` marks it as used. Rows never used are removed after
    a day, and their file with them when nothing else shows it.
    """

    id: Serial  # added by Piccolo; declared so type checkers see it
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    image = Varchar(length=255, null=False)  # the stored image's URL path, like Post.image
    description = Text(default="")
    # Mastodon's focal point (meta.focus): x and y from -1 to 1, the centre 0,0; None unset.
    focus_x = DoublePrecision(null=True, default=None)
    focus_y = DoublePrecision(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # Indexed because deleting a post must find the upload it cascades to.
    post = ForeignKey(
        references=Post, on_delete=OnDelete.cascade, null=True, default=None, index=True
    )


POST_TABLES = (
    Conversation,
    ConversationMember,
    Post,
    Like,
    Bookmark,
    Comment,
    IdempotencyKey,
    MediaUpload,
)
