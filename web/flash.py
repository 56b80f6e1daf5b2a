"""One-time messages after a redirect ("Posted", "Profile saved"), shown once on the next page.

The cookie holds only a key of FLASH_MESSAGES, never text: whoever plants a cookie (a script on
a sibling subdomain over http, a browser extension) can at most show one of these fixed
messages, never words of their own, and an unknown key shows nothing. The page that shows the
message marks its request, and `forget_shown_flash` (a before_send hook) expires the cookie in
that page's answer, so a reload or the next page does not show it again. Until then it lives a
minute at most: a message that no page showed (the redirect went to a picture, say) is stale.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import Message, Scope

from domain.core.settings import Settings
from web.auth import cookie_name

FLASH_COOKIE = "agora_flash"
FLASH_SECONDS = 60
# The request state key the flash partial sets once it has shown the message.
_SHOWN = "flash_shown"


class Flash(StrEnum):
    """The messages a redirect can leave for the next page; the values are the cookie's."""

    POSTED = "posted"
    ALREADY_POSTED = "already-posted"
    REPLY_POSTED = "reply-posted"
    MESSAGE_SENT = "message-sent"
    POST_DELETED = "post-deleted"
    COMMENT_DELETED = "comment-deleted"
    PROFILE_SAVED = "profile-saved"
    LOGGED_OUT = "logged-out"
    LOGGED_OUT_EVERYWHERE = "logged-out-everywhere"


FLASH_MESSAGES: dict[Flash, str] = {
    Flash.POSTED: "Posted",
    Flash.ALREADY_POSTED: "Already posted: that form was sent before",
    Flash.REPLY_POSTED: "Reply posted",
    Flash.MESSAGE_SENT: "Message sent",
    Flash.POST_DELETED: "Post deleted",
    Flash.COMMENT_DELETED: "Comment deleted",
    Flash.PROFILE_SAVED: "Profile saved",
    Flash.LOGGED_OUT: "Logged out",
    Flash.LOGGED_OUT_EVERYWHERE: "Logged out on every device",
}


def _cookie(settings: Settings, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=cookie_name(FLASH_COOKIE, settings),
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
    )


def with_flash(response: Response[Any], request: Request[Any, Any, Any], message: Flash) -> None:
    """Leave `message` for the page the response (a redirect) leads to."""
    settings: Settings = request.app.state.settings
    response.cookies.append(_cookie(settings, message.value, FLASH_SECONDS))


def take_flash(request: Request[Any, Any, Any]) -> str:
    """The text of the message waiting for this page, "" for none (or for a key that is not
    one of ours); marks it shown, so this page's answer expires the cookie."""
    settings: Settings = request.app.state.settings
    key = request.cookies.get(cookie_name(FLASH_COOKIE, settings))
    if key is None:
        return ""
    request.state[_SHOWN] = True
    try:
        return FLASH_MESSAGES[Flash(key)]
    except ValueError:
        return ""


async def forget_shown_flash(message: Message, scope: Scope) -> None:
    """Expire the flash cookie in the answer of the page that showed (or refused) it."""
    if message["type"] != "http.response.start" or not scope.get("state", {}).get(_SHOWN):
        return
    settings: Settings = scope["app"].state.settings
    name, value = _cookie(settings, "", 0).to_encoded_header()
    MutableScopeHeaders.from_message(message).add(name.decode(), value.decode())
