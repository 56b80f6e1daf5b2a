"""The pages' live updates: one Server-Sent Events connection per tab (`GET /events`, opened
by htmx's SSE extension from base.html) and the posts it announces (`GET /home/new`).

Events on `/events`: `unread` (the nav's unread-notifications text, swapped into
#nav-unread), `home` (the id of a post that entered the reader's home feed; static/js/live.js
counts them into the "Show N new posts" button) and `bye` (the session ended: the extension
closes the connection rather than reconnecting). A comment every `stream_heartbeat_seconds`
keeps proxies from closing an idle stream, and each heartbeat checks the session first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template
from litestar.status_codes import HTTP_204_NO_CONTENT

from domain import accounts, feeds, notifications
from domain.accounts import User
from domain.core import redis_guard
from domain.core.events import Event, EventName
from domain.core.numbers import BIGSERIAL, optional_number
from domain.core.paging import IdRange
from web.auth import current_user, requires_login, session_token
from web.streaming import sse
from web.streaming.hub import Hub, Subscription, new_queue
from web.streaming.mastodon import NO_COMPRESSION, STREAM_HEADERS

NEW_POSTS_LIMIT = 40


def _unread_text(request: Request[Any, Any, Any], unread: int) -> str:
    engine = request.app.template_engine
    assert engine is not None
    text: str = engine.get_template("partials/unread_count.html").render(unread=unread)
    return text


async def _page_event(
    request: Request[Any, Any, Any], viewer: User, event: Event
) -> ServerSentEventMessage | None:
    """What the page hears of an event: the new unread count, or a post for the home feed
    (not the reader's own: their page shows it already); None for the rest."""
    if event.name is EventName.NOTIFICATION:
        unread = await notifications.unread_count(viewer.id)
        return sse.event("unread", _unread_text(request, unread))
    if event.name is EventName.UPDATE and viewer.id in event.readers:
        cards = await feeds.cards_by_ids([event.item_id], viewer.id)
        card = cards.get(event.item_id)
        if card is not None and card.author_id != viewer.id:
            return sse.event("home", str(event.item_id))
    return None


async def _events(
    request: Request[Any, Any, Any], viewer: User, subscription: Subscription
) -> AsyncGenerator[ServerSentEventMessage, None]:
    hub: Hub = request.app.state.hub
    heartbeat: float = request.app.state.settings.stream_heartbeat_seconds
    token = session_token(request)
    hub.add(subscription)
    try:
        # Reconnect after 1 s when the connection drops (the extension backs off further).
        yield sse.comment("live", retry_ms=1000)
        while True:
            try:
                async with asyncio.timeout(heartbeat):
                    _, event = await subscription.queue.get()
            except TimeoutError:
                if await accounts.user_for_session(token) is None:
                    yield sse.event("bye", "session ended")
                    return
                yield sse.comment("heartbeat")
                continue
            message = await _page_event(request, viewer, event)
            if message is not None:
                yield message
    finally:
        hub.remove(subscription)


class LiveController(Controller):
    path = "/"

    @get("/events", opt=NO_COMPRESSION)
    async def events(self, request: Request[Any, Any, Any]) -> ServerSentEvent | Response[None]:
        """The tab's live stream; 204 without a session, which tells the browser's
        EventSource to stop trying."""
        viewer = current_user(request)
        if viewer is None:
            return Response(None, status_code=HTTP_204_NO_CONTENT)
        subscription = Subscription(
            new_queue(), ("page",), user_id=viewer.id, home=True, notifications=True
        )
        return ServerSentEvent(_events(request, viewer, subscription), headers=STREAM_HEADERS)

    @get("/home/new", guards=[requires_login])
    async def new_posts(
        self, request: Request[Any, Any, Any], after: FromQuery[str] = ""
    ) -> Template:
        """The home feed's posts newer than `after` (a post id), newest first, for the
        "Show N new posts" button: htmx inserts them above the feed, focus on the first."""
        viewer = current_user(request)
        assert viewer is not None
        newest_seen = optional_number(after, "after", BIGSERIAL) or 0
        page = await feeds.home_ids(viewer.id, IdRange(since_id=newest_seen, limit=NEW_POSTS_LIMIT))
        cards_by_id = await feeds.cards_by_ids([item.item_id for item in page.items], viewer.id)
        cards = [cards_by_id[item.item_id] for item in page.items if item.item_id in cards_by_id]
        bodies = await feeds.post_bodies(cards, feeds.FEED_HEADING_LEVEL, redis_guard.active())
        return Template(
            "feeds/new_posts.html",
            context={"cards": cards, "bodies": bodies, "viewer": viewer, "back": "/"},
        )
