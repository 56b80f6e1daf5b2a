"""Agora's accounts, posts and comments as Mastodon entities.

Status ids: a post is a status whose id is the post's id ("123"); a comment is a status
whose id is "c" and the comment's id ("c45"). Mastodon ids are opaque strings, so clients
accept both; a reply to a post is in_reply_to_id "123", a reply to a comment "c45".
Only posts appear in timelines (as on the web site); comments appear in a status's context.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection

from domain import accounts, feeds, media, posts, social
from domain.accounts import User
from domain.core.errors import NotFound
from domain.core.numbers import BIGSERIAL, SERIAL, path_id
from domain.core.paging import IdRange, KeyedPage
from domain.feeds import PostCard
from domain.posts import CommentNode, MediaUpload, extract_tags, render_html, tag_path
from domain.social import Relationship as SocialRelationship
from web.api import entities
from web.api.auth import viewer
from web.api.paging import link_header, next_link

COMMENT_PREFIX = "c"
# A post's image has the id "p" and the post's id: one image a post, and never the id of an
# upload (those are plain numbers, for /api/v1/media/:id).
POST_IMAGE_PREFIX = "p"
# The Mastodon release whose API Agora serves: 4.3.0 added grouped notifications, the unread
# count and several statuses in one call, which Agora has (README, "Which Mastodon").
MASTODON_VERSION = "4.3.0"
MASTODON_API_VERSION = 2
INSTANCE_TITLE = "Agora"
INSTANCE_DESCRIPTION = "A social network that works in any web browser."


def agora_version() -> str:
    try:
        return importlib.metadata.version("agora")
    except importlib.metadata.PackageNotFoundError:  # running from a bare checkout
        return "0.1.0"


def compatible_version() -> str:
    # Clients switch features on by the Mastodon version they see first in this string.
    return f"{MASTODON_VERSION} (compatible; Agora {agora_version()})"


def iso(moment: datetime) -> str:
    """Mastodon's timestamp format: UTC, milliseconds, a trailing Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def base_url(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The configured public URL (`PUBLIC_URL`), without a trailing slash: every absolute URL
    starts with it, whatever Host header the request came with."""
    public_url: str = request.app.state.settings.public_url
    return public_url


@dataclass(frozen=True)
class StatusRef:
    """A status id taken apart: a post's id or a comment's id."""

    post_id: int | None = None
    comment_id: int | None = None

    @classmethod
    def parse(cls, raw: str) -> StatusRef:
        """Unknown shapes are simply statuses that do not exist (404), as in Mastodon: a
        comment's id is a serial, a post's a bigserial (domain.core.numbers' rule)."""
        if raw.startswith(COMMENT_PREFIX):
            return cls(comment_id=path_id(raw[len(COMMENT_PREFIX) :], SERIAL, "Record not found"))
        return cls(post_id=path_id(raw, BIGSERIAL, "Record not found"))


def comment_status_id(comment_id: int) -> str:
    return f"{COMMENT_PREFIX}{comment_id}"


def _paragraphs(html: str) -> str:
    return f"<p>{html}</p>" if html else ""


# How domain.text.render_html marks a mention; clients want the mentioned accounts listed.
_MENTION = re.compile(r'href="[^"]*/@([A-Za-z0-9_]{1,30})" class="mention"')


class Presenter:
    """Builds entities for one request: absolute URLs from its base, flags for its viewer."""

    def __init__(self, request: ASGIConnection[Any, Any, Any, Any], viewer: User | None) -> None:
        self.base = base_url(request)
        self.viewer = viewer

    # ------------------------------------------------------------ accounts

    def _media_url(self, path: str | None, missing: str) -> str:
        if not path:
            return f"{self.base}{missing}"
        return (
            path if path.startswith(("http://", "https://")) else f"{self.base}/{path.lstrip('/')}"
        )

    def account(self, user: User, last_status_at: datetime | None = None) -> entities.Account:
        url = f"{self.base}/@{user.username}"
        avatar = self._media_url(user.avatar, "/avatars/original/missing.svg")
        header = self._media_url(user.header, "/headers/original/missing.svg")
        return entities.Account(
            id=str(user.id),
            username=user.username,
            acct=user.username,
            display_name=user.display_name,
            created_at=iso(user.created_at),
            note=_paragraphs(render_html(user.bio)),
            url=url,
            uri=url,
            avatar=avatar,
            avatar_static=avatar,
            header=header,
            header_static=header,
            followers_count=user.followers_count,
            following_count=user.following_count,
            statuses_count=user.posts_count,
            last_status_at=_day(last_status_at),
            bot=user.bot,
            locked=user.locked,
            fields=[
                entities.AccountField(name=f.name, value=f.value_html)
                for f in accounts.profile_fields(user)
            ],
        )

    async def accounts(self, users: list[User]) -> list[entities.Account]:
        last = await accounts.last_post_times([user.id for user in users])
        return [self.account(user, last.get(user.id)) for user in users]

    async def one_account(self, user: User) -> entities.Account:
        return (await self.accounts([user]))[0]

    async def credential_account(self, user: User) -> entities.CredentialAccount:
        plain = await self.one_account(user)
        return entities.CredentialAccount(
            **vars(plain),
            source=entities.AccountSource(
                note=user.bio,
                follow_requests_count=await social.count_requests_waiting(user.id),
                privacy=user.default_visibility,
                fields=[
                    entities.AccountField(name=f.name, value=f.value)
                    for f in accounts.profile_fields(user)
                ],
            ),
            role=entities.Role(
                id={"member": "-99", "moderator": "2", "admin": "3"}.get(user.role, "-99"),
                name="" if user.role == "member" else user.role.title(),
            ),
        )

    async def accounts_by_ids(self, user_ids: list[int]) -> list[entities.Account]:
        """Accounts in the given order; missing or suspended ones are left out."""
        found = await accounts.users_by_ids(user_ids)
        return await self.accounts([found[uid] for uid in user_ids if uid in found])

    def relationship(self, other_id: int, between: SocialRelationship) -> entities.Relationship:
        return entities.Relationship(
            id=str(other_id),
            following=between.following,
            followed_by=between.followed_by,
            showing_reblogs=between.following,
            blocking=between.blocking,
            blocked_by=between.blocked_by,
            requested=between.requested,
            requested_by=between.requested_by,
        )

    # ------------------------------------------------------------ statuses

    def _content(self, html: str) -> str:
        # Agora renders site-relative links; clients show the HTML away from the site.
        return _paragraphs(html.replace('href="/', f'href="{self.base}/'))

    async def _add_mentions(self, statuses: list[entities.Status]) -> None:
        """Fill each status's `mentions` with the accounts its text @-mentions."""
        names = {s.id: list(dict.fromkeys(_MENTION.findall(s.content))) for s in statuses}
        wanted = sorted({name for found in names.values() for name in found})
        users = await accounts.users_by_usernames(wanted)
        for status in statuses:
            status.mentions = [
                {
                    "id": str(user.id),
                    "username": user.username,
                    "acct": user.username,
                    "url": f"{self.base}/@{user.username}",
                }
                for name in names[status.id]
                if (user := users.get(name.lower())) is not None
            ]

    def tag(self, name: str) -> entities.Tag:
        return entities.Tag(name=name, url=f"{self.base}{tag_path(name)}")

    def _tags(self, text: str) -> list[entities.Tag]:
        return [self.tag(name) for name in extract_tags(text)]

    # ------------------------------------------------------------ media

    def media_attachment(
        self,
        attachment_id: str,
        image: str,
        description: str,
        focus: tuple[float, float] | None = None,
    ) -> entities.MediaAttachment:
        """An image as Mastodon describes one; the preview is the feed thumbnail once the job
        has made it, the original until then."""
        preview = media.shown(image, "feed")
        meta: dict[str, Any] = {}
        if focus is not None:
            meta["focus"] = {"x": focus[0], "y": focus[1]}
        if size := media.original_size(image):  # unknown for an image not stored by Agora
            meta["original"] = _dimensions(*size)
            if preview and preview.url != image:
                meta["small"] = _dimensions(preview.width, preview.height)
        return entities.MediaAttachment(
            id=attachment_id,
            url=self._media_url(image, ""),
            preview_url=self._media_url(preview.url if preview else image, ""),
            meta=meta,
            description=description or None,
        )

    def upload(self, upload: MediaUpload) -> entities.MediaAttachment:
        focus = (
            None
            if upload.focus_x is None or upload.focus_y is None
            else (upload.focus_x, upload.focus_y)
        )
        return self.media_attachment(str(upload.id), upload.image, upload.description, focus)

    def _post_media(self, card: PostCard) -> list[entities.MediaAttachment]:
        if not card.image:
            return []
        return [
            self.media_attachment(
                f"{POST_IMAGE_PREFIX}{card.id}", card.image, card.image_alt, card.image_focus
            )
        ]

    def post_status(self, card: PostCard, author: entities.Account) -> entities.Status:
        url = f"{self.base}{card.permalink}"
        return entities.Status(
            id=str(card.id),
            uri=url,
            url=url,
            created_at=iso(card.created_at),
            edited_at=iso(card.edited_at) if card.edited_at else None,
            account=author,
            content=self._content(card.html),
            text=card.text,
            replies_count=card.comment_count,
            favourites_count=card.like_count,
            favourited=card.liked,
            bookmarked=card.bookmarked,
            sensitive=card.sensitive,
            language=card.language,
            visibility=card.visibility,
            media_attachments=self._post_media(card),
            tags=self._tags(card.text),
        )

    def comment_status(
        self,
        node: CommentNode,
        card: PostCard,
        parent: CommentNode | None,
        author: entities.Account,
    ) -> entities.Status:
        url = f"{self.base}{card.permalink}#comment-{node.id}"
        return entities.Status(
            id=comment_status_id(node.id),
            uri=url,
            url=url,
            created_at=iso(node.created_at),
            edited_at=None,
            account=author,
            content=self._content(node.html),
            text=node.text,
            in_reply_to_id=comment_status_id(parent.id) if parent else str(card.id),
            in_reply_to_account_id=str(parent.author_id if parent else card.author_id),
            # A reply is seen by whoever sees its post (domain.posts.visibility).
            visibility=card.visibility,
            language=node.language,
            replies_count=len(node.replies),
            tags=self._tags(node.text),
        )

    async def _authors(self, user_ids: list[int]) -> dict[int, entities.Account]:
        found = await accounts.users_by_ids(user_ids)
        return {int(account.id): account for account in await self.accounts(list(found.values()))}

    async def posts(self, post_ids: list[int]) -> list[entities.Status]:
        """Statuses for these posts in this order; missing or hidden posts are left out."""
        viewer_id = self.viewer.id if self.viewer else None
        cards = await feeds.cards_by_ids(post_ids, viewer_id)
        authors = await self._authors([card.author_id for card in cards.values()])
        statuses = [
            self.post_status(cards[pid], authors[cards[pid].author_id])
            for pid in post_ids
            if pid in cards and cards[pid].author_id in authors
        ]
        await self._add_mentions(statuses)
        return statuses

    async def post(self, post_id: int) -> entities.Status:
        found = await self.posts([post_id])
        if not found:
            raise NotFound("Record not found")
        return found[0]

    async def thread(self, ref: StatusRef) -> Thread:
        """The post a status belongs to, with all its comments, to find any status in it."""
        post_id = ref.post_id
        if ref.comment_id is not None:
            post_id = (await posts.get_comment(ref.comment_id)).post
        assert post_id is not None
        card = await feeds.card(post_id, self.viewer.id if self.viewer else None)
        roots = await posts.comment_thread(post_id, self.viewer.id if self.viewer else None)
        thread = Thread(card, roots)
        if ref.comment_id is not None and ref.comment_id not in thread.nodes:
            raise NotFound("Record not found")  # its author is suspended
        authors = await self._authors(
            [card.author_id, *(n.author_id for n in thread.nodes.values())]
        )
        thread.statuses = {str(card.id): self.post_status(card, authors[card.author_id])}
        for node in thread.nodes.values():
            if node.author_id in authors:
                parent = thread.nodes.get(node.parent_id) if node.parent_id else None
                status = self.comment_status(node, card, parent, authors[node.author_id])
                thread.statuses[status.id] = status
        await self._add_mentions(list(thread.statuses.values()))
        return thread

    async def status(self, ref: StatusRef) -> entities.Status:
        if ref.post_id is not None:
            return await self.post(ref.post_id)
        thread = await self.thread(ref)
        return thread.statuses[comment_status_id(ref.comment_id or 0)]

    async def context(self, ref: StatusRef) -> entities.Context:
        thread = await self.thread(ref)
        if ref.comment_id is None:
            ancestors: list[str] = []
            below = thread.roots
        else:
            node = thread.nodes[ref.comment_id]
            chain: list[str] = []
            parent_id = node.parent_id
            # A parent by a suspended author is not in the thread: the chain stops there.
            while parent_id is not None and parent_id in thread.nodes:
                chain.append(comment_status_id(parent_id))
                parent_id = thread.nodes[parent_id].parent_id
            ancestors = [str(thread.card.id), *reversed(chain)]
            below = node.replies
        descendants = [comment_status_id(n.id) for n in _depth_first(below)]
        return entities.Context(
            ancestors=[thread.statuses[i] for i in ancestors if i in thread.statuses],
            descendants=[thread.statuses[i] for i in descendants if i in thread.statuses],
        )


class Thread:
    """A post and its comment tree, indexed by comment id."""

    def __init__(self, card: PostCard, roots: list[CommentNode]) -> None:
        self.card = card
        self.roots = roots
        self.nodes = {node.id: node for node in _depth_first(roots)}
        self.statuses: dict[str, entities.Status] = {}


def _depth_first(nodes: list[CommentNode]) -> list[CommentNode]:
    """Comments in reading order: each followed by its replies (Mastodon's descendants)."""
    ordered: list[CommentNode] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(node.replies))
    return ordered


def _dimensions(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def _day(moment: datetime | None) -> str | None:
    # Since Mastodon 3.1, last_status_at is a date, not a time.
    if moment is None:
        return None
    return date.isoformat(moment.astimezone(UTC).date())


async def account_list(
    request: Request[Any, Any, Any], page: social.AccountPage, limit: int
) -> Response[list[entities.Account]]:
    """A page of a follow or block list as accounts, with the `next` link while more exist."""
    found = await Presenter(request, viewer(request)).accounts_by_ids(
        [summary.id for summary in page.accounts]
    )
    return Response(found, headers=next_link(request, page.next_before, limit))


Statuses = Response[list[entities.Status]]


async def status_list(
    request: Request[Any, Any, Any],
    window: IdRange,
    query: Callable[[IdRange], Awaitable[KeyedPage]],
) -> Statuses:
    """A page of a list of posts as statuses, with the `Link` header to the pages around it."""
    page = await query(window)
    found = await Presenter(request, viewer(request)).posts([item.item_id for item in page.items])
    return Response(found, headers=link_header(request, page, window.limit))
