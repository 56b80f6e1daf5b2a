"""Profiles at /@username: the header, the person's posts, their follow lists, follow and block
buttons; /settings/profile edits one's own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from domain import accounts, blocks, feeds, social
from domain.tables import User
from web.auth import current_user, logged_in_user, requires_login, safe_next
from web.controllers.feeds import parse_cursor, render_feed
from web.controllers.media import save_profile
from web.controllers.posts import back_to, post_page
from web.htmx import is_htmx

FOLLOW_LISTS = {"followers": social.followers_of, "following": social.followed_by}


async def profile_for(handle: str) -> User:
    """The account an `@username` path segment names; anything else is not a page."""
    if not handle.startswith("@"):
        raise NotFoundException()
    return await accounts.get_profile(handle[1:])


async def relationship_context(viewer: User | None, profile: User) -> dict[str, bool]:
    """Whether the viewer follows, blocks or is blocked by the person, for the profile's
    buttons; all false for visitors and for one's own profile."""
    if viewer is None or viewer.id == profile.id:
        return {"following": False, "blocking": False, "blocked_by": False}
    between = (await social.relationships(viewer.id, [profile.id]))[profile.id]
    return {
        "following": between.following,
        "blocking": between.blocking,
        "blocked_by": between.blocked_by,
    }


async def follow_list(handle: str, which: str, before: int) -> Template:
    """Who follows the person, or whom they follow, 40 at a time, most recent first."""
    profile = await profile_for(handle)
    page = await FOLLOW_LISTS[which](profile.id, 40, before or None)
    title = (
        f"People following {profile.display_name}"
        if which == "followers"
        else f"People {profile.display_name} follows"
    )
    return Template(
        "profiles/follow_list.html",
        context={"profile": profile, "page": page, "title": title, "which": which},
    )


class ProfileController(Controller):
    @get("/{handle:str}")
    async def profile(
        self, request: Request[Any, Any, Any], handle: FromPath[str], cursor: FromQuery[str] = ""
    ) -> Template:
        profile = await profile_for(handle)
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
            **relationship,
            feed_heading=f"Posts by {profile.display_name}",
            empty_message=f"{profile.display_name} has not posted yet.",
        )

    @get("/{handle:str}/{post_id:int}")
    async def permalink(
        self,
        request: Request[Any, Any, Any],
        handle: FromPath[str],
        post_id: FromPath[int],
        reply_to: FromQuery[int] = 0,
        after: FromQuery[int] = 0,
        comment: FromQuery[int] = 0,
    ) -> Template:
        """The post and a page of its comments: from the start, after top-level comment
        `after`, or the page holding `comment` (or the comment answered with `reply_to`)."""
        if not handle.startswith("@"):
            raise NotFoundException()
        return await post_page(
            request,
            handle[1:],
            post_id,
            reply_to=reply_to or None,
            after=after or None,
            containing=comment or None,
        )

    @get("/{handle:str}/followers")
    async def followers(self, handle: FromPath[str], before: FromQuery[int] = 0) -> Template:
        return await follow_list(handle, "followers", before)

    @get("/{handle:str}/following")
    async def following(self, handle: FromPath[str], before: FromQuery[int] = 0) -> Template:
        return await follow_list(handle, "following", before)

    @post("/{handle:str}/follow", guards=[requires_login])
    async def follow(
        self, request: Request[Any, Any, Any], handle: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await self._change(request, handle, social.follow, next, "follow_changed")

    @post("/{handle:str}/unfollow", guards=[requires_login])
    async def unfollow(
        self, request: Request[Any, Any, Any], handle: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await self._change(request, handle, social.unfollow, next, "follow_changed")

    @get("/{handle:str}/block", guards=[requires_login])
    async def confirm_block(
        self, request: Request[Any, Any, Any], handle: FromPath[str], next: FromQuery[str] = ""
    ) -> Template:
        """Blocking is asked about first, with what it does, so a stray click blocks nobody."""
        profile = await profile_for(handle)
        await blocks.check_blockable(logged_in_user(request), profile.id)
        return Template(
            "profiles/confirm_block.html",
            context={"profile": profile, "back": safe_next(next, f"/@{profile.username}")},
        )

    @post("/{handle:str}/block", guards=[requires_login])
    async def block(
        self, request: Request[Any, Any, Any], handle: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await self._change(request, handle, blocks.block, next, "block_changed")

    @post("/{handle:str}/unblock", guards=[requires_login])
    async def unblock(
        self, request: Request[Any, Any, Any], handle: FromPath[str], next: FromQuery[str] = ""
    ) -> Response[Any]:
        return await self._change(request, handle, blocks.unblock, next, "block_changed")

    async def _change(
        self,
        request: Request[Any, Any, Any],
        handle: str,
        change: Callable[[User, int], Awaitable[None]],
        next_url: str,
        changed_template: str,
    ) -> Response[Any]:
        """Follow, unfollow, block or unblock; htmx gets the profile's changed parts, a form
        a redirect back."""
        viewer = logged_in_user(request)
        profile = await profile_for(handle)
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
                "back": next_url or f"/@{profile.username}",
            },
        )


class ProfileSettingsController(Controller):
    path = "/settings/profile"
    guards = [requires_login]

    @get("/")
    async def edit(self, request: Request[Any, Any, Any]) -> Template:
        viewer = logged_in_user(request)
        values = {"display_name": viewer.display_name, "bio": viewer.bio}
        return Template("profiles/edit.html", context={"values": values, "errors": {}})

    @post("/")
    async def save(self, request: Request[Any, Any, Any]) -> Response[Any]:
        # The form is multipart (it may carry an avatar): web/controllers/media.py.
        return await save_profile(request)
