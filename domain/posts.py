"""Posts: writing, reading one, and deleting, with the author's post counter kept in step."""

from __future__ import annotations

from piccolo.querystring import QueryString

from domain import outbox, redis_guard, timelines
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.tables import Post, User
from domain.text import extract_mentions

POST_MISSING = "That post does not exist."
MAX_POST_LENGTH = 500
STAFF_ROLES = ("moderator", "admin")


def text_problem(text: str, noun: str = "Post", max_length: int = MAX_POST_LENGTH) -> str | None:
    """What is wrong with a post or comment text, if anything; counted after trimming."""
    length = len(text.strip())
    if length == 0:
        return f"{noun} cannot be empty."
    if length > max_length:
        return f"{noun} must be at most {max_length} characters (it has {length})."
    return None


def is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def may_delete_post(actor: User, author_id: int) -> bool:
    """Authors may delete their own posts; moderators and admins anyone's."""
    return actor.id == author_id or is_staff(actor)


async def create_post(
    author: User, text: str, image: str | None = None, image_alt: str = ""
) -> Post:
    """Publish a post; the text is kept exactly as typed apart from surrounding whitespace.
    `image` is an already stored image's URL (domain/media.py checks and stores uploads)."""
    if problem := text_problem(text):
        raise ValidationFailed({"text": problem})
    post = Post(author=author.id, text=text.strip(), image=image, image_alt=image_alt)
    async with outbox.transaction():
        await post.save()
        await User.update({User.posts_count: User.posts_count + 1}).where(User.id == author.id)
        await outbox.record("fan_out_post", post_id=post.id)
        if extract_mentions(post.text):
            await outbox.record("notify", kind="mention", post_id=post.id)
        if image:
            await outbox.record("make_thumbnails", url=image, kinds=["feed"])
    # The author sees the post at once; followers get it from the fan-out job.
    if guard := redis_guard.active():
        await timelines.push(guard, post.id, [author.id])
    return post


async def get_post(post_id: int) -> Post:
    post: Post | None = await Post.objects().where(Post.id == post_id).first()
    if post is None:
        raise NotFound(POST_MISSING)
    return post


async def delete_post(actor: User, post_id: int) -> None:
    """Delete a post; only its author or a moderator may."""
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
            await outbox.record("retract_post", post_id=post_id, author_id=post.author)


async def author_username(post_id: int) -> str:
    """The username of the post's author, for building its address."""
    row = (
        await Post.select(Post.author.username.as_alias("username"))
        .where(Post.id == post_id)
        .first()
    )
    if row is None:
        raise NotFound(POST_MISSING)
    username: str = row["username"]
    return username
