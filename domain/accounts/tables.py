"""Members and their log-in sessions.

Counters (posts, followers, following) are denormalised onto the member's row and changed
in the same statement as the row they count, so pages never count. Indexes that Piccolo
cannot express (the case-insensitive username index) are created in the migrations.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
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
from piccolo.constraints import Check
from piccolo.table import Table

ROLES = ("member", "moderator", "admin")
# The colour theme a member chose: "auto" follows the device's light or dark preference.
THEMES = ("auto", "light", "dark")
# Who may moderate: delete anyone's posts and comments, suspend and reinstate members.
STAFF_ROLES = frozenset({"moderator", "admin"})


class User(Table, tablename="agora_user"):
    id: Serial  # added by Piccolo; declared so type checkers see it
    # Unique ignoring case through the index lower(username) (see the migrations).
    username = Varchar(length=30, null=False)
    display_name = Varchar(length=50, null=False)
    bio = Text(default="")
    avatar = Varchar(length=255, null=True, default=None)
    header = Varchar(length=255, null=True, default=None)
    # Mastodon's profile fields: up to four name/value pairs, the names and the values in
    # two arrays of the same length (domain.accounts.profiles keeps them paired).
    field_names = Array(base_column=Text(), default=list)
    field_values = Array(base_column=Text(), default=list)
    # "Automated account": the member says the account is run by a program.
    bot = Boolean(default=False)
    # "Approve new followers" (Mastodon's `locked`): others ask to follow and the member
    # accepts or rejects each request (domain.social.follow_requests).
    locked = Boolean(default=False)
    # The colour theme of every page the member sees, one of THEMES.
    theme = Varchar(length=8, default="auto")
    password_hash = Varchar(length=255, null=False)
    role = Varchar(length=16, default="member")
    is_suspended = Boolean(default=False)
    posts_count = Integer(default=0)
    followers_count = Integer(default=0)
    following_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_active_at = Timestamptz(default=TimestamptzNow())
    # What the composer offers first (domain.core.visibility); a reply takes its post's.
    default_visibility = Varchar(length=8, default="public")

    # Spelled out because Piccolo cannot serialise an IN (...) check into a migration.
    role_is_known = Check((role == "member") | (role == "moderator") | (role == "admin"))
    default_visibility_is_known = Check(
        (default_visibility == "public")
        | (default_visibility == "unlisted")
        | (default_visibility == "private")
        | (default_visibility == "direct")
    )
    theme_is_known = Check((theme == "auto") | (theme == "light") | (theme == "dark"))

    @property
    def is_staff(self) -> bool:
        """Whether this member moderates (a moderator or an admin): the one staff rule,
        which services and templates (`viewer.is_staff`) both read."""
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        """Admins also change other members' roles."""
        return self.role == "admin"


class Session(Table, tablename="user_session"):
    """A server-side login session; the cookie holds a random token, this row its SHA-256."""

    id: Serial  # added by Piccolo; declared so type checkers see it
    token_hash = Varchar(length=64, unique=True, null=False)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=False, index=True)
    user_agent = Varchar(length=255, default="")


ACCOUNT_TABLES = (User, Session)
