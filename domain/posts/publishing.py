"""Publishing: the one way a post or a reply comes to exist, whoever asks (the compose form,
the comment form, the API's POST /api/v1/statuses, jobs), and deleting a post.

A post keeps its text as typed apart from surrounding whitespace and line endings (made LF),
and its tags in canonical form beside it; its jobs (fan-out, mention notifications,
thumbnails) are recorded in the outbox in the post's transaction.
Replies are comments on a post (domain.posts.comments); they carry no image.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from piccolo.querystring import QueryString

from domain import media, timelines
from domain.accounts import User
from domain.core import outbox, redis_guard
from domain.core.errors import Forbidden, NotFound, ValidationFailed
from domain.core.visibility import Visibility, parse_visibility
from domain.posts import attachments, comments, conversations
from domain.posts.tables import POST_MISSING, Comment, Post
from domain.posts.text import (
    MAX_POST_LENGTH,
    extract_mentions,
    extract_tags,
    normalize_text,
    text_problem,
)
from domain.posts.visibility import mentioned_ids, refuse_if_hidden, reply_visibility

REPLY_WITH_IMAGE = "Agora replies cannot have images: only posts can."
REPLY_SENSITIVE = "Agora replies have no images to mark sensitive: only posts can be."
# Mastodon takes ISO 639 codes ("en", "fil"), some with a region ("zh-TW").
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
BAD_LANGUAGE = "language must be an ISO 639 language code, such as en or pt-BR."


@dataclass(frozen=True)
class AttachedImage:
    """An image file sent with the post itself (the compose form), and its description."""

    data: bytes
    description: str


@dataclass(frozen=True)
class UploadedMedia:
    """Images uploaded beforehand (POST /api/v2/media), named by their ids."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class ReplyTarget:
    """What a reply answers: a post, or one of its comments."""

    post_id: int
    comment_id: int | None = None


Image = AttachedImage | UploadedMedia


@dataclass(frozen=True)
class Marks:
    """What the author says of a post besides its text: whether its image is sensitive, its
    language, who may see it, and the usernames it is addressed to (written as @mentions in
    front of the text when it is stored, and not counted in its length: the message pages
    add them for the sender, who never typed them)."""

    sensitive: bool = False
    language: str | None = None
    visibility: Visibility = "public"
    addressed_to: tuple[str, ...] = ()


UNMARKED = Marks()


@overload
async def publish(
    author: User,
    text: str,
    *,
    image: Image | None = None,
    in_reply_to: None = None,
    sensitive: bool = False,
    language: str | None = None,
    visibility: Visibility | None = None,
    addressed_to: Sequence[str] = (),
) -> Post: ...


@overload
async def publish(
    author: User,
    text: str,
    *,
    image: None = None,
    in_reply_to: ReplyTarget,
    sensitive: bool = False,
    language: str | None = None,
    visibility: Visibility | None = None,
) -> Comment: ...


async def publish(
    author: User,
    text: str,
    *,
    image: Image | None = None,
    in_reply_to: ReplyTarget | None = None,
    sensitive: bool = False,
    language: str | None = None,
    visibility: Visibility | None = None,
    addressed_to: Sequence[str] = (),
) -> Post | Comment:
    """Publish a post (with at most one described image, hidden behind a warning when
    `sensitive`) or, with `in_reply_to`, a reply; `language` is the ISO 639 code of the
    language the author says it is in (empty or None: not said). A post is seen by whom
    `visibility` says (None: the author's default visibility); a reply by whoever sees its
    post (domain.posts.visibility: a wider `visibility` is narrowed to the post's, a narrower
    one refused with ValidationFailed keyed `visibility`).

    Every problem is reported at once in one ValidationFailed, keyed by field: `text`, and
    for an attached image `image` and `image_alt`, for uploads `media_ids` and `description`,
    `sensitive` for a reply so marked, `language` for what is not a language code.
    Raises media.ImageTooLarge when an attached file is over the limit, NotFound when the
    post or comment answered does not exist or the author may not see it, and Forbidden when
    a block stands between the author and whoever wrote it (or, for a direct post, anyone it
    mentions). A direct post joins a conversation (domain.posts.conversations). The text is
    counted and stored with LF line endings; `addressed_to` (usernames, for a post) is put
    in front of it as @mentions, uncounted (see Marks).
    """
    text = normalize_text(text)
    language = (language or "").strip() or None
    if language is not None and not LANGUAGE_CODE.fullmatch(language):
        raise ValidationFailed({"language": BAD_LANGUAGE})
    if in_reply_to is not None:
        if image is not None:
            raise ValidationFailed({"media_ids": REPLY_WITH_IMAGE})
        if sensitive:
            raise ValidationFailed({"sensitive": REPLY_SENSITIVE})
        await refuse_if_hidden(author.id, in_reply_to.post_id)
        answered = await get_post(in_reply_to.post_id)
        reply_visibility(visibility, parse_visibility(answered.visibility))
        return await comments.create_comment(
            author, in_reply_to.post_id, text, in_reply_to.comment_id, language
        )
    marks = Marks(
        sensitive,
        language,
        visibility or parse_visibility(author.default_visibility),
        tuple(addressed_to),
    )
    if isinstance(image, AttachedImage):
        return await _publish_with_file(author, text, image, marks)
    if isinstance(image, UploadedMedia) and image.ids:
        return await _publish_with_upload(author, text, list(image.ids), marks)
    if problem := text_problem(text):
        raise ValidationFailed({"text": problem})
    return await _create_post(author, text, marks=marks)


async def _publish_with_file(author: User, text: str, image: AttachedImage, marks: Marks) -> Post:
    errors: dict[str, str] = {}
    if problem := text_problem(text):
        errors["text"] = problem
    if problem := media.alt_problem(image.description):
        errors["image_alt"] = problem
    clean = await media.verify_alongside(image.data, "image", errors)
    url = await asyncio.to_thread(media.save, clean)
    return await _create_post(
        author, text, image=url, image_alt=image.description.strip(), marks=marks
    )


def _text_with_image_problem(text: str) -> str | None:
    problem = text_problem(text)
    if problem and not text.strip():
        # Mastodon allows an image without text; Agora does not, so say why.
        return (
            f"{problem} Agora posts need 1 to {MAX_POST_LENGTH} characters of text, "
            "even with an image."
        )
    return problem


async def _publish_with_upload(
    author: User, text: str, upload_ids: list[str], marks: Marks
) -> Post:
    """The post and the upload's use commit together."""
    errors: dict[str, str] = {}
    async with outbox.transaction():
        row = await attachments.claim(author, upload_ids, errors)
        if problem := _text_with_image_problem(text):
            errors["text"] = problem
        if errors or row is None:
            raise ValidationFailed(errors)
        post = await _create_post(
            author, text, image=row.image, image_alt=row.description, marks=marks
        )
        await attachments.mark_posted(row, post.id)
    return post


async def _create_post(
    author: User,
    text: str,
    image: str | None = None,
    image_alt: str = "",
    marks: Marks = UNMARKED,
) -> Post:
    """Write a checked post (its text already through normalize_text); `image` is an
    already stored image's URL. A direct post joins the conversation of its author and the
    accounts it mentions (Forbidden when a block stands between the author and one of
    them)."""
    text = " ".join([*(f"@{username}" for username in marks.addressed_to), text])
    mentions = await mentioned_ids(text)
    if marks.visibility == "direct":
        await conversations.refuse_across_blocks(author.id, mentions)
    post = Post(
        author=author.id,
        text=text,
        tags=extract_tags(text),
        image=image,
        image_alt=image_alt,
        sensitive=marks.sensitive,
        language=marks.language,
        visibility=marks.visibility,
        mentions=mentions,
    )
    async with outbox.transaction():
        await post.save()
        if marks.visibility == "direct":
            await conversations.add_message(post)
        await User.update({User.posts_count: User.posts_count + 1}).where(User.id == author.id)
        await outbox.record(outbox.Job.FAN_OUT_POST, post_id=post.id)
        if extract_mentions(post.text):
            await outbox.record(outbox.Job.NOTIFY, kind="mention", post_id=post.id)
        if image:
            await outbox.record(outbox.Job.MAKE_THUMBNAILS, url=image, kinds=["feed"])
    # The author sees the post at once; followers get it from the fan-out job.
    if guard := redis_guard.active():
        await timelines.push(guard, post.id, [author.id])
    return post


async def get_post(post_id: int) -> Post:
    """The post; NotFound if it does not exist."""
    post: Post | None = await Post.objects().where(Post.id == post_id).first()
    if post is None:
        raise NotFound(POST_MISSING)
    return post


def may_delete_post(actor: User, author_id: int) -> bool:
    """Authors may delete their own posts; moderators and admins anyone's."""
    return actor.id == author_id or actor.is_staff


async def delete_post(actor: User, post_id: int) -> None:
    """Delete a post; only its author or a moderator may (Forbidden otherwise)."""
    post = await get_post(post_id)
    if not may_delete_post(actor, post.author):
        raise Forbidden("Only the author can delete this post.")
    async with outbox.transaction():
        deleted = await Post.delete().where(Post.id == post_id).returning(Post.id)
        if deleted:
            await User.update(
                {User.posts_count: QueryString("GREATEST(posts_count - 1, 0)")}
            ).where(User.id == post.author)
            # Pages never show it again (they read posts from Postgres); this tidies timelines.
            await outbox.record(outbox.Job.RETRACT_POST, post_id=post_id, author_id=post.author)


async def author_username(post_id: int) -> str:
    """The username of the post's author, for building its address; NotFound if missing."""
    row = (
        await Post.select(Post.author.username.as_alias("username"))
        .where(Post.id == post_id)
        .first()
    )
    if row is None:
        raise NotFound(POST_MISSING)
    username: str = row["username"]
    return username
