"""`/@username/...`: a profile with the person's posts, their follow lists, follow and block
buttons, and the permalink pages of their posts (`/@username/<post id>`).

Litestar matches whole path segments, so these routes take any first segment; the `username`
dependency accepts only `@name` and answers 404 for anything else, and `profile` resolves it
to the account (404 for an unknown or suspended one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from domain import accounts, feeds, posts, social
from domain.accounts import User
from domain.core.numbers import BIGSERIAL, SERIAL, optional_number, path_id
from web.auth import current_user, logged_in_user, requires_login, safe_next
from web.feed_pages import parse_cursor, render_feed
from web.forms import back_to
from web.htmx import current_location, htmx_page_location, is_htmx
from web.post_pages import post_page

FOLLOW_LISTS = {"followers": social.followers_of, "following": social.followed_by}


def username_from_handle(handle: FromPath[str]) -> str:
    """The username of an `@username` path segment; any other first segment is not a page."""
    if not handle.startswith("@"):
        raise NotFoundException()
    return handle[1:]


async def profile_of(username: NamedDependency[str]) -> User:
    """The account the path names; NotFound for an unknown or suspended one."""
    return await accounts.get_profile(username)


async def relationship_context(viewer: User | None, profile: User) -> dict[str, bool]:
    """Whether the viewer follows (or asks to follow), blocks or is blocked by the person,
    for the profile's buttons; all false for visitors and for one's own profile."""
    if viewer is None or viewer.id == profile.id:
        return {"following": False, "requested": False, "blocking": False, "blocked_by": False}
    between = (await social.relationships(viewer.id, [profile.id]))[profile.id]
    return {
        "following": between.following,
        "requested": between.requested,
        "blocking": between.blocking,
        "blocked_by": between.blocked_by,
    }


async def follow_list(
    request: Request[Any, Any, Any], profile: User, which: str, before: str
) -> Template:
    """Who follows the person, or whom they follow, 40 at a time, most recent first, older
    than the follow id `before` (a serial; empty for the first page), each with a Follow or
    Unfollow button for the viewer."""
    viewer = current_user(request)
    page = await FOLLOW_LISTS[which](
        profile.id,
        40,
        optional_number(before, "before", SERIAL) or None,
        viewer.id if viewer else None,
    )
    title = (
        f"People following {profile.display_name}"
        if which == "followers"
        else f"People {profile.display_name} follows"
    )
    return Template(
        "profiles/follow_list.html",
        context={
            "profile": profile,
            "page": page,
            "title": title,
            "which": which,
            "viewer": viewer,
            "back": current_location(request),
        },
    )


class ProfileController(Controller):
    dependencies = {
        "username": Provide(username_from_handle, sync_to_thread=False),
        "profile": Provide(profile_of),
    }

    @get("/{handle:str}")
    async def profile(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        cursor: FromQuery[str] = "",
    ) -> Template:
        viewer = current_user(request)
        relationship = await relationship_context(viewer, profile)
        # The feed query would hide every post anyway; the page says why instead.
        page = (
            feeds.FeedPage([], None)
            if relationship["blocking"] or relationship["blocked_by"]
            else await feeds.profile_feed(
                profile.id, viewer.id if viewer else None, parse_cursor(cursor)
            )
        )
        return await render_feed(
            request,
            "profiles/profile.html",
            page,
            f"/@{profile.username}",
            profile=profile,
            profile_fields=accounts.profile_fields(profile),
            # Linked and escaped as a post's text is (the API's `note` is the same HTML).
            bio_html=posts.render_html(profile.bio),
            **relationship,
            feed_heading=f"Posts by {profile.display_name}",
            empty_message=f"{profile.display_name} has not posted yet.",
        )

    @get("/{handle:str}/{post_id:str}")
    async def permalink(
        self,
        request: Request[Any, Any, Any],
        username: NamedDependency[str],
        post_id: FromPath[str],
        reply_to: FromQuery[str] = "",
        after: FromQuery[str] = "",
        comment: FromQuery[str] = "",
    ) -> Template:
        """The post and a page of its comments: from the start, after top-level comment
        `after`, or the page holding `comment` (or the comment answered with `reply_to`)."""
        return await post_page(
            request,
            username,
            path_id(post_id, BIGSERIAL, posts.POST_MISSING),
            reply_to=optional_number(reply_to, "reply_to", SERIAL) or None,
            after=optional_number(after, "after", SERIAL) or None,
            containing=optional_number(comment, "comment", SERIAL) or None,
        )

    @get("/{handle:str}/followers")
    async def followers(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        before: FromQuery[str] = "",
    ) -> Template:
        return await follow_list(request, profile, "followers", before)

    @get("/{handle:str}/following")
    async def following(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        before: FromQuery[str] = "",
    ) -> Template:
        return await follow_list(request, profile, "following", before)

    @post("/{handle:str}/follow", guards=[requires_login])
    async def follow(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        next: FromQuery[str] = "",
        card: FromQuery[bool] = False,
    ) -> Response[Any]:
        """`card`: the button sits on a person's card in a list, not on their profile."""
        return await self._change(
            request, profile, social.follow, next, "follow_changed", card=card
        )

    @post("/{handle:str}/unfollow", guards=[requires_login])
    async def unfollow(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        next: FromQuery[str] = "",
        card: FromQuery[bool] = False,
    ) -> Response[Any]:
        """`card`: the button sits on a person's card in a list, not on their profile."""
        return await self._change(
            request, profile, social.unfollow, next, "follow_changed", card=card
        )

    @get("/{handle:str}/block", guards=[requires_login])
    async def confirm_block(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        next: FromQuery[str] = "",
    ) -> Template:
        """Blocking is asked about first, with what it does, so a stray click blocks nobody."""
        await social.check_blockable(logged_in_user(request), profile.id)
        return Template(
            "profiles/confirm_block.html",
            context={"profile": profile, "back": safe_next(next, f"/@{profile.username}")},
        )

    @post("/{handle:str}/block", guards=[requires_login])
    async def block(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        next: FromQuery[str] = "",
    ) -> Response[Any]:
        return await self._change(request, profile, social.block, next, "block_changed")

    @post("/{handle:str}/unblock", guards=[requires_login])
    async def unblock(
        self,
        request: Request[Any, Any, Any],
        profile: NamedDependency[User],
        next: FromQuery[str] = "",
    ) -> Response[Any]:
        return await self._change(request, profile, social.unblock, next, "block_changed")

    async def _change(
        self,
        request: Request[Any, Any, Any],
        profile: User,
        change: Callable[[User, int], Awaitable[None]],
        next_url: str,
        changed_template: str,
        card: bool = False,
    ) -> Response[Any]:
        """Follow, unfollow, block or unblock; htmx gets the profile's changed parts (only the
        button for a person's `card`), a form a redirect back."""
        viewer = logged_in_user(request)
        await change(viewer, profile.id)
        if not is_htmx(request):
            return back_to(next_url or f"/@{profile.username}")
        profile = await accounts.get_profile(profile.username)  # fresh counts
        return Template(
            f"profiles/{changed_template}.html",
            context={
                "profile": profile,
                **await relationship_context(viewer, profile),
                "viewer": viewer,
                # Where the swapped-in form sends a browser back should JavaScript fail later.
                "back": next_url or htmx_page_location(request) or f"/@{profile.username}",
                "card": card,
            },
        )
