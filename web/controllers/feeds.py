"""The feeds as pages: home, explore, a tag's posts and bookmarks, each paged by cursor."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from domain import feeds, posts
from web.auth import current_user, logged_in_user, requires_login
from web.feed_pages import parse_cursor, render_feed


class FeedController(Controller):
    @get("/")
    async def home(self, request: Request[Any, Any, Any], cursor: FromQuery[str] = "") -> Template:
        before = parse_cursor(cursor)
        viewer = current_user(request)
        if viewer is None:
            page = await feeds.public_feed(None, before)
            return await render_feed(
                request,
                "feeds/welcome.html",
                page,
                "/",
                feed_heading="Latest posts",
                empty_message="Nobody has posted yet.",
            )
        page = await feeds.home_feed(viewer.id, before)
        return await render_feed(
            request,
            "feeds/home.html",
            page,
            "/",
            values={},
            errors={},
            feed_heading="Your feed",
            empty_message="Your feed is empty. Write a post, or follow people from Explore.",
            empty_link=("Explore", "/explore"),
        )

    @get("/explore")
    async def explore(
        self, request: Request[Any, Any, Any], cursor: FromQuery[str] = ""
    ) -> Template:
        viewer = current_user(request)
        page = await feeds.public_feed(viewer.id if viewer else None, parse_cursor(cursor))
        return await render_feed(
            request,
            "feeds/list.html",
            page,
            "/explore",
            title="Explore",
            intro="The latest posts from everyone on Agora.",
            feed_heading="Latest posts",
            hide_feed_heading=True,
            empty_message="Nobody has posted yet.",
        )

    @get("/tags/{tag:str}")
    async def tag(
        self, request: Request[Any, Any, Any], tag: FromPath[str], cursor: FromQuery[str] = ""
    ) -> Template:
        name = posts.normalize_tag(tag)
        if name is None:
            raise NotFoundException("Tags are made of letters, digits and underscores.")
        viewer = current_user(request)
        page = await feeds.tag_feed(name, viewer.id if viewer else None, parse_cursor(cursor))
        return await render_feed(
            request,
            "feeds/list.html",
            page,
            f"/tags/{name}",
            title=f"#{name}",
            feed_heading=f"Posts tagged #{name}",
            hide_feed_heading=True,
            empty_message=f"No posts are tagged #{name} yet.",
        )

    @get("/bookmarks", guards=[requires_login])
    async def bookmarks(
        self, request: Request[Any, Any, Any], cursor: FromQuery[str] = ""
    ) -> Template:
        viewer = logged_in_user(request)
        page = await feeds.bookmarks_feed(viewer.id, parse_cursor(cursor))
        return await render_feed(
            request,
            "feeds/list.html",
            page,
            "/bookmarks",
            title="Bookmarks",
            intro="Posts you have bookmarked, newest bookmark first. Only you can see this list.",
            feed_heading="Your bookmarks",
            hide_feed_heading=True,
            empty_message="You have not bookmarked any posts yet.",
        )
