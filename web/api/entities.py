"""Mastodon API entities, as Agora returns them (https://docs.joinmastodon.org/entities/).

Dataclasses rather than dicts so that the OpenAPI schema describes every response. Ids are
strings and times ISO 8601 in UTC, as Mastodon sends them; fields for features Agora does not
have (polls, boosts, emojis) are present with their empty values, because clients read them
unconditionally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.core.visibility import Visibility


@dataclass(kw_only=True)
class AccountField:
    name: str
    value: str
    verified_at: str | None = None


@dataclass(kw_only=True)
class Account:
    id: str
    username: str
    acct: str
    display_name: str
    locked: bool = False
    bot: bool = False
    discoverable: bool = True
    indexable: bool = True
    group: bool = False
    noindex: bool = False
    hide_collections: bool = False
    created_at: str
    note: str
    url: str
    uri: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: str | None
    emojis: list[dict[str, Any]] = field(default_factory=list)
    fields: list[AccountField] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class AccountSource:
    note: str
    fields: list[AccountField] = field(default_factory=list)
    privacy: str = "public"
    sensitive: bool = False
    language: str = ""
    follow_requests_count: int = 0


@dataclass(kw_only=True)
class Role:
    id: str
    name: str
    permissions: str = "0"
    color: str = ""
    highlighted: bool = False


@dataclass(kw_only=True)
class CredentialAccount(Account):
    source: AccountSource
    role: Role


@dataclass(kw_only=True)
class Tag:
    name: str
    url: str
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class MediaAttachment:
    """An image: a post's, or an upload waiting for its post. Always `image` (a GIF too: it
    is served as the GIF, not converted to a video as Mastodon's `gifv` would be)."""

    id: str
    type: str = "image"
    url: str
    preview_url: str
    remote_url: str | None = None
    # `original` (and `small`, once the thumbnail exists): width, height, size, aspect.
    meta: dict[str, Any] = field(default_factory=dict)
    description: str | None
    blurhash: str | None = None


@dataclass(kw_only=True)
class Status:
    id: str
    uri: str
    url: str
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    text: str | None
    # Who may see it (domain.core.visibility); a reply's is its post's.
    visibility: Visibility
    sensitive: bool = False
    spoiler_text: str = ""
    language: str | None = None
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    replies_count: int = 0
    reblogs_count: int = 0
    favourites_count: int = 0
    favourited: bool = False
    reblogged: bool = False
    muted: bool = False
    bookmarked: bool = False
    pinned: bool = False
    reblog: None = None
    application: dict[str, Any] | None = None
    media_attachments: list[MediaAttachment] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    emojis: list[dict[str, Any]] = field(default_factory=list)
    card: None = None
    poll: None = None
    filtered: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Context:
    ancestors: list[Status]
    descendants: list[Status]


@dataclass(kw_only=True)
class Relationship:
    """https://docs.joinmastodon.org/entities/Relationship/: `requested`, the caller asks to
    follow the account (locked), `requested_by`, the account asks to follow the caller."""

    id: str
    following: bool
    followed_by: bool
    showing_reblogs: bool
    notifying: bool = False
    languages: list[str] | None = None
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    requested: bool = False
    requested_by: bool = False
    domain_blocking: bool = False
    endorsed: bool = False
    note: str = ""


@dataclass(kw_only=True)
class Notification:
    """Mastodon types: `follow`, `follow_request` (someone asks to follow one's locked
    account), `favourite` (a like) and `mention` (a comment on one's post, a reply to one's
    comment, or a post naming one), which carries the status."""

    id: str
    type: str
    group_key: str
    created_at: str
    account: Account
    status: Status | None = None


@dataclass(kw_only=True)
class Conversation:
    """A direct thread as one participant sees it
    (https://docs.joinmastodon.org/entities/Conversation/): `accounts` are the other
    participants, `last_status` the newest message."""

    id: str
    unread: bool
    accounts: list[Account]
    last_status: Status | None


@dataclass(kw_only=True)
class Application:
    """An app as POST /api/v1/apps returns it (with its credentials) or as verified."""

    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uri: str
    redirect_uris: list[str]
    vapid_key: str = ""
    client_id: str | None = None
    client_secret: str | None = None
    client_secret_expires_at: int | None = None


@dataclass(kw_only=True)
class Token:
    access_token: str
    token_type: str
    scope: str
    created_at: int
    expires_in: int


@dataclass(kw_only=True)
class InstanceV1:
    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: dict[str, Any]
    stats: dict[str, int]
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool
    invites_enabled: bool
    configuration: dict[str, Any]
    contact_account: Account | None
    rules: list[dict[str, Any]]


@dataclass(kw_only=True)
class InstanceV2:
    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: dict[str, Any]
    icon: list[dict[str, Any]]
    languages: list[str]
    configuration: dict[str, Any]
    registrations: dict[str, Any]
    api_versions: dict[str, int]
    contact: dict[str, Any]
    rules: list[dict[str, Any]]


@dataclass(kw_only=True)
class SearchResults:
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Tag]


@dataclass(kw_only=True)
class NotificationGroup:
    """Mastodon's NotificationGroup (docs.joinmastodon.org/methods/grouped_notifications):
    Agora does not group yet, so every group holds one notification and is keyed
    `ungrouped-<notification id>`, as Mastodon keys the notifications it leaves ungrouped."""

    group_key: str
    notifications_count: int
    type: str
    most_recent_notification_id: str
    page_min_id: str | None = None
    page_max_id: str | None = None
    latest_page_notification_at: str | None = None
    sample_account_ids: list[str]
    status_id: str | None = None


@dataclass(kw_only=True)
class GroupedNotificationsResults:
    """Mastodon's GroupedNotificationsResults: the groups, and each account and status they
    name, once."""

    accounts: list[Account]
    statuses: list[Status]
    notification_groups: list[NotificationGroup]


@dataclass(kw_only=True)
class NotificationPolicy:
    """Mastodon's NotificationPolicy (v2): Agora filters no notifications, so every kind of
    sender is `accept` and nothing is pending."""

    for_not_following: str = "accept"
    for_not_followers: str = "accept"
    for_new_accounts: str = "accept"
    for_private_mentions: str = "accept"
    for_limited_accounts: str = "accept"
    summary: dict[str, int] = field(
        default_factory=lambda: {"pending_requests_count": 0, "pending_notifications_count": 0}
    )


@dataclass(kw_only=True)
class FamiliarFollowers:
    """Mastodon's FamiliarFollowers: the followers of account `id` whom the caller follows."""

    id: str
    accounts: list[Account]
