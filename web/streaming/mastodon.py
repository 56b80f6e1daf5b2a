"""Mastodon's streaming API (docs.joinmastodon.org/methods/streaming/): the WebSocket at
`/api/v1/streaming` (`subscribe`/`unsubscribe` messages) and the Server-Sent Events
endpoints under it (`/user`, `/user/notification`, `/public`, `/public/local`,
`/hashtag?tag=`, `/hashtag/local?tag=`, `/direct`, ...), and `/api/v1/streaming/health`.

The token comes in the `Authorization` header, the `access_token` query parameter or (for
the WebSocket) `Sec-WebSocket-Protocol`. Events are Mastodon's: `event` and `payload`, the
entity as a JSON string, rendered for this connection's viewer (`render_event`); `delete`
carries the id as a string. Every `stream_heartbeat_seconds` an SSE stream sends a comment
and every stream checks its token again, closing once it is revoked or its account
suspended.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, WebSocket, get, websocket
from litestar.connection import ASGIConnection
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_401_UNAUTHORIZED
from litestar.types import WebSocketResponseBodyEvent, WebSocketResponseStartEvent

from domain import notifications, oauth, posts
from domain.core.errors import NotFound
from domain.core.events import Event, EventName
from domain.oauth import TokenGrant
from web.api.conversations import present as present_conversations
from web.api.notifications import present
from web.api.serializers import Presenter
from web.streaming import sse
from web.streaming.hub import Hub, Subscription, new_queue

logger = logging.getLogger(__name__)

NO_COMPRESSION = {"no_compression": True}
"""Route opt: a stream must reach the client as written, never compressed or buffered."""
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class StreamKind:
    """What a Mastodon stream delivers and the scopes it needs (any one of them)."""

    scopes: tuple[str, ...]
    home: bool = False
    notifications: bool = False
    direct: bool = False
    public: bool = False
    remote_only: bool = False
    media_only: bool = False
    needs_tag: bool = False
    needs_user: bool = False


_STATUSES = ("read", "read:statuses")
STREAMS: dict[str, StreamKind] = {
    "user": StreamKind(_STATUSES, home=True, notifications=True, needs_user=True),
    "user:notification": StreamKind(
        ("read", "read:notifications"), notifications=True, needs_user=True
    ),
    "public": StreamKind(_STATUSES, public=True),
    "public:local": StreamKind(_STATUSES, public=True),
    # Agora has no remote posts: these streams are valid and stay quiet.
    "public:remote": StreamKind(_STATUSES, public=True, remote_only=True),
    "public:media": StreamKind(_STATUSES, public=True, media_only=True),
    "public:local:media": StreamKind(_STATUSES, public=True, media_only=True),
    "public:remote:media": StreamKind(_STATUSES, public=True, remote_only=True),
    "hashtag": StreamKind(_STATUSES, public=True, needs_tag=True),
    "hashtag:local": StreamKind(_STATUSES, public=True, needs_tag=True),
    "direct": StreamKind(_STATUSES, direct=True, needs_user=True),
}


class StreamError(Exception):
    """A refused stream, with Mastodon's status and message (`{"error": message}`)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if token := connection.query_params.get("access_token"):
        return str(token)
    protocol = connection.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    return protocol or None


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> TokenGrant:
    """The grant of the connection's token; StreamError 401 when it is missing or invalid."""
    token = _token(connection)
    if token is None:
        raise StreamError(HTTP_401_UNAUTHORIZED, "Missing access token")
    try:
        return await oauth.verify_token(token)
    except oauth.InvalidToken as error:
        raise StreamError(HTTP_401_UNAUTHORIZED, "Invalid access token") from error


def subscription_for(
    queue: asyncio.Queue[tuple[Subscription, Event]],
    grant: TokenGrant,
    stream: str,
    tag: str | None,
) -> Subscription:
    """The hub subscription for Mastodon stream `stream` (and `tag`, for hashtags);
    StreamError when the stream is unknown, lacks its tag or the token its scopes."""
    kind = STREAMS.get(stream)
    if kind is None:
        raise StreamError(HTTP_400_BAD_REQUEST, "Unknown stream type")
    if kind.needs_tag and not (tag or "").strip():
        raise StreamError(HTTP_400_BAD_REQUEST, "No tag for stream provided")
    if not oauth.allows(grant.scopes, kind.scopes):
        raise StreamError(HTTP_401_UNAUTHORIZED, "Access token does not have the required scopes")
    if kind.needs_user and grant.user is None:
        raise StreamError(HTTP_401_UNAUTHORIZED, "This stream requires an authenticated user")
    tag = (tag or "").strip().lstrip("#").lower()
    return Subscription(
        queue,
        (stream, tag) if kind.needs_tag else (stream,),
        user_id=grant.user.id if grant.user else None,
        home=kind.home,
        notifications=kind.notifications and oauth.allows(grant.scopes, ("read:notifications",)),
        direct=kind.direct,
        public=kind.public and not kind.remote_only,
        extra={"kind": kind, "tag": tag},
    )


async def _visible_status(presenter: Presenter, post_id: int) -> Any | None:
    """The post as this viewer may see it, or None. The one place a stream decides whether
    its viewer sees a post: blocks, suspensions and visibility (domain.core.visibility) apply
    here, through the API's own cards."""
    try:
        return await presenter.post(post_id)
    except NotFound:
        return None


async def render_event(
    presenter: Presenter, subscription: Subscription, event: Event
) -> tuple[str, str] | None:
    """Mastodon's (event, payload) for `event` on this subscription, rendered for its
    viewer; None when the viewer may not see it or the stream does not take it."""
    if event.name is EventName.DELETE:
        return event.name.value, str(event.item_id)
    if event.name in (EventName.UPDATE, EventName.STATUS_UPDATE):
        status = await _visible_status(presenter, event.item_id)
        kind: StreamKind = subscription.extra["kind"]
        if status is None or (kind.media_only and not status.media_attachments):
            return None
        if kind.needs_tag and subscription.extra["tag"] not in {
            t.name.lower() for t in status.tags
        }:
            return None
        return event.name.value, encode_json(status).decode()
    if event.name is EventName.NOTIFICATION and subscription.user_id is not None:
        items = await notifications.by_ids(subscription.user_id, [event.item_id])
        found = await present(presenter, list(items.values()))
        return (event.name.value, encode_json(found[0]).decode()) if found else None
    if event.name is EventName.CONVERSATION and subscription.user_id is not None:
        return await _conversation_event(presenter, subscription.user_id, event.item_id)
    return None


async def _conversation_event(
    presenter: Presenter, viewer_id: int, conversation_id: int
) -> tuple[str, str] | None:
    """Mastodon's `conversation` event: the Conversation as this participant sees it (None
    when a block hides it from them)."""
    try:
        summary = await posts.conversation(viewer_id, conversation_id)
    except NotFound:
        return None
    found = await present_conversations(presenter, [summary])
    return "conversation", encode_json(found[0]).decode()


def _error_response(error: StreamError) -> Response[dict[str, str]]:
    return Response({"error": error.message}, status_code=error.status)


async def _still_valid(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    try:
        await authenticate(connection)
    except StreamError:
        return False
    return True


def _hub(connection: ASGIConnection[Any, Any, Any, Any]) -> Hub:
    hub: Hub = connection.app.state.hub
    return hub


def _heartbeat(connection: ASGIConnection[Any, Any, Any, Any]) -> float:
    seconds: float = connection.app.state.settings.stream_heartbeat_seconds
    return seconds


async def _sse(
    request: Request[Any, Any, Any], subscription: Subscription, presenter: Presenter
) -> AsyncGenerator[ServerSentEventMessage, None]:
    hub = _hub(request)
    hub.add(subscription)
    try:
        # Mastodon greets a new stream with a comment, so clients see it is open at once.
        yield sse.comment(")")
        while True:
            try:
                async with asyncio.timeout(_heartbeat(request)):
                    _, event = await subscription.queue.get()
            except TimeoutError:
                if not await _still_valid(request):
                    return
                yield sse.comment("thump")
                continue
            rendered = await render_event(presenter, subscription, event)
            if rendered is not None:
                yield sse.event(*rendered)
    finally:
        hub.remove(subscription)


class StreamingController(Controller):
    """The streaming API. It is outside the API router: tokens come in more ways here, and
    Mastodon answers a refused stream with its own messages."""

    path = "/api/v1/streaming"
    include_in_schema = False

    @get("/health", media_type="text/plain", opt=NO_COMPRESSION)
    async def health(self) -> str:
        """`OK`, as Mastodon's streaming server answers."""
        return "OK"

    @get("/{path:path}", opt=NO_COMPRESSION)
    async def server_sent_events(
        self, request: Request[Any, Any, Any], path: FromPath[str]
    ) -> ServerSentEvent | Response[dict[str, str]]:
        """A stream as Server-Sent Events: the path names it (`/user/notification` is the
        stream `user:notification`), `tag` picks the hashtag."""
        stream = path.strip("/").replace("/", ":")
        try:
            grant = await authenticate(request)
            subscription = subscription_for(
                new_queue(), grant, stream, request.query_params.get("tag")
            )
        except StreamError as error:
            return _error_response(error)
        presenter = Presenter(request, grant.user)
        return ServerSentEvent(_sse(request, subscription, presenter), headers=STREAM_HEADERS)

    @websocket("/", opt=NO_COMPRESSION)
    async def web_socket(self, socket: WebSocket[Any, Any, Any]) -> None:
        """The multiplexed WebSocket: `stream` (and `tag`) in the query opens a first
        stream; `{"type": "subscribe" | "unsubscribe", "stream": ..., "tag": ...}` messages
        open and close more. A bad token is refused before the upgrade (401)."""
        try:
            grant = await authenticate(socket)
        except StreamError as error:
            await _refuse(socket, error)
            return
        offered = socket.headers.get("sec-websocket-protocol")
        await socket.accept(subprotocols=offered.split(",")[0].strip() if offered else None)
        session = _WebSocketSession(socket, grant)
        try:
            await session.run()
        finally:
            session.close()


async def _refuse(socket: WebSocket[Any, Any, Any], error: StreamError) -> None:
    """Refuse the upgrade with an HTTP answer (ASGI's websocket.http.response) where the
    server supports it, as Mastodon does; otherwise close with 4000 + the status."""
    if "websocket.http.response" in (socket.scope.get("extensions") or {}):
        body = json.dumps({"error": error.message}).encode()
        start: WebSocketResponseStartEvent = {
            "type": "websocket.http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json")],
        }
        await socket.send(start)
        done: WebSocketResponseBodyEvent = {
            "type": "websocket.http.response.body",
            "body": body,
            "more_body": False,
        }
        await socket.send(done)
        return
    await socket.close(code=4000 + error.status, reason=error.message)


class _WebSocketSession:
    """One client's WebSocket: its subscriptions, the reader of its messages and the
    writer of its events."""

    def __init__(self, socket: WebSocket[Any, Any, Any], grant: TokenGrant) -> None:
        self.socket = socket
        self.grant = grant
        self.queue = new_queue()
        self.presenter = Presenter(socket, grant.user)
        self.subscriptions: dict[tuple[str, ...], Subscription] = {}
        self.hub = _hub(socket)

    async def run(self) -> None:
        if stream := self.socket.query_params.get("stream"):
            await self._subscribe(stream, self.socket.query_params.get("tag"))
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        try:
            await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer):
                task.cancel()
            # A client gone mid-send is simply gone: nothing to report.
            await asyncio.gather(reader, writer, return_exceptions=True)

    def close(self) -> None:
        for subscription in self.subscriptions.values():
            self.hub.remove(subscription)
        self.subscriptions.clear()

    async def _send(self, message: dict[str, Any]) -> None:
        await self.socket.send_text(json.dumps(message))

    async def _subscribe(self, stream: str, tag: str | None) -> None:
        try:
            subscription = subscription_for(self.queue, self.grant, stream, tag)
        except StreamError as error:
            await self._send({"error": error.message, "status": error.status})
            return
        if subscription.name not in self.subscriptions:
            self.subscriptions[subscription.name] = subscription
            self.hub.add(subscription)

    def _unsubscribe(self, stream: str, tag: str | None) -> None:
        name = (stream, (tag or "").strip().lstrip("#").lower())
        subscription = self.subscriptions.pop(name, None) or self.subscriptions.pop((stream,), None)
        if subscription is not None:
            self.hub.remove(subscription)

    async def _read(self) -> None:
        while True:
            try:
                raw = await self.socket.receive_text()
            except WebSocketDisconnect:
                return
            try:
                message = json.loads(raw)
                kind, stream = message["type"], str(message["stream"])
                tag = message.get("tag")
            except (ValueError, KeyError, TypeError):
                await self._send({"error": "Bad message", "status": HTTP_400_BAD_REQUEST})
                continue
            if kind == "subscribe":
                await self._subscribe(stream, tag)
            elif kind == "unsubscribe":
                self._unsubscribe(stream, tag)
            else:
                await self._send({"error": "Unknown message type", "status": 400})

    async def _write(self) -> None:
        heartbeat = _heartbeat(self.socket)
        while True:
            try:
                async with asyncio.timeout(heartbeat):
                    subscription, event = await self.queue.get()
            except TimeoutError:
                if not await _still_valid(self.socket):
                    await self.socket.close(code=1008, reason="Invalid access token")
                    return
                continue
            if subscription.name not in self.subscriptions:
                continue  # unsubscribed while the event waited
            rendered = await render_event(self.presenter, subscription, event)
            if rendered is not None:
                await self._send(
                    {
                        "stream": list(subscription.name),
                        "event": rendered[0],
                        "payload": rendered[1],
                    }
                )
