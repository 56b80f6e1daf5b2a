"""The one visibility rule (domain.core.visibility) in the domain: who may see a post of each
visibility, the listings, a reply's visibility, and the default a member chose.

The full proof, every visibility for every viewer on every surface over HTTP, is
tests/test_visibility_matrix.py."""

from __future__ import annotations

import pytest
from litestar import Litestar

from domain import accounts, feeds, posts, social
from domain.accounts import User
from domain.core.errors import NotFound, ValidationFailed
from domain.core.paging import IdRange
from domain.core.visibility import VISIBILITIES, is_wider, parse_visibility
from tests.helpers import PASSWORD


async def member(username: str) -> User:
    return await accounts.sign_up(username, username.title(), PASSWORD)


async def seen_by(post_ids: dict[str, int], viewer: User | None) -> set[str]:
    """The names of the posts the viewer's cards include."""
    cards = await feeds.cards_by_ids(list(post_ids.values()), viewer.id if viewer else None)
    return {name for name, post_id in post_ids.items() if post_id in cards}


async def test_each_visibility_reaches_exactly_its_audience(app: Litestar) -> None:
    author, follower, mentioned, stranger = [
        await member(name) for name in ("author", "follower", "mentioned", "stranger")
    ]
    await social.follow(follower, author.id)
    made: dict[str, int] = {
        visibility: (
            await posts.publish(author, f"{visibility} for @mentioned", visibility=visibility)
        ).id
        for visibility in VISIBILITIES
    }
    assert await seen_by(made, author) == {"public", "unlisted", "private", "direct"}
    assert await seen_by(made, follower) == {"public", "unlisted", "private"}
    assert await seen_by(made, mentioned) == {"public", "unlisted", "private", "direct"}
    assert await seen_by(made, stranger) == {"public", "unlisted"}
    assert await seen_by(made, None) == {"public", "unlisted"}


async def test_listings_hold_only_public_posts(app: Litestar) -> None:
    author = await member("author")
    made = {
        visibility: (await posts.publish(author, f"#news {visibility}", visibility=visibility)).id
        for visibility in VISIBILITIES
    }
    explore = await feeds.public_feed(author.id)
    assert [card.id for card in explore.cards] == [made["public"]]
    tagged = await feeds.tag_ids("news", author.id, IdRange())
    assert [item.item_id for item in tagged.items] == [made["public"]]
    profile = await feeds.profile_feed(author.id, author.id)
    assert {card.id for card in profile.cards} == set(made.values())


async def test_a_post_takes_its_authors_default_visibility(app: Litestar) -> None:
    author = await member("author")
    await User.update({User.default_visibility: "private"}).where(User.id == author.id)
    chosen = await accounts.find_user("author")
    assert chosen is not None
    post = await posts.publish(chosen, "quiet")
    assert post.visibility == "private"
    assert (await posts.publish(chosen, "loud", visibility="public")).visibility == "public"


async def test_a_reply_is_as_wide_as_its_post_never_wider_nor_narrower(app: Litestar) -> None:
    author, follower = await member("author"), await member("follower")
    await social.follow(follower, author.id)
    post = await posts.publish(author, "followers only", visibility="private")
    target = posts.ReplyTarget(post.id)
    # Wider is narrowed: the reply is shown only with its post.
    await posts.publish(follower, "a reply", in_reply_to=target, visibility="public")
    await posts.publish(follower, "a reply", in_reply_to=target)
    with pytest.raises(ValidationFailed) as refused:
        await posts.publish(follower, "a secret", in_reply_to=target, visibility="direct")
    assert "private" in refused.value.errors["visibility"]


async def test_acting_on_a_post_one_may_not_see_is_not_found(app: Litestar) -> None:
    author, stranger = await member("author"), await member("stranger")
    post = await posts.publish(author, "followers only", visibility="private")
    for action in (posts.favourite, posts.bookmark, posts.unfavourite, posts.unbookmark):
        with pytest.raises(NotFound):
            await action(stranger, post.id)
    with pytest.raises(NotFound):
        await posts.publish(stranger, "hello", in_reply_to=posts.ReplyTarget(post.id))
    with pytest.raises(NotFound) as missing:
        await feeds.card(post.id, stranger.id)
    assert str(missing.value) == posts.POST_MISSING


async def test_a_mention_made_later_in_a_username_does_not_widen_a_post(app: Litestar) -> None:
    """Mentions are resolved to accounts when publishing: an account signing up later under
    a mentioned name that did not exist sees nothing."""
    author = await member("author")
    post = await posts.publish(author, "hi @later", visibility="direct")
    later = await member("later")
    with pytest.raises(NotFound):
        await feeds.card(post.id, later.id)


def test_visibilities_order_widest_first() -> None:
    assert is_wider("public", "unlisted") and is_wider("private", "direct")
    assert not is_wider("direct", "private") and not is_wider("public", "public")
    assert parse_visibility("unlisted") == "unlisted"
    for bad in ("Public", "limited", "", "followers"):
        with pytest.raises(ValueError):
            parse_visibility(bad)
