"""Sending direct messages: a message is a direct post addressed (by @mention) to everyone it
is for, published by the one path (domain.posts.publishing), which files it in the
conversation of those people (domain.posts.conversations).

Agora's replies are comments on a post, but a Mastodon client answers a direct message with
`in_reply_to_id` and expects the conversation to go on: `answer` makes such a reply the
conversation's next message instead (the web pages send messages with `reply`)."""

from __future__ import annotations

from domain import accounts
from domain.accounts import User
from domain.core.errors import ValidationFailed
from domain.posts import conversations
from domain.posts.publishing import publish
from domain.posts.tables import Post
from domain.posts.text import extract_mentions, text_problem

EMPTY_MESSAGE = "Write a message before sending it."


def unaddressed(text: str, usernames: list[str]) -> list[str]:
    """The usernames the text does not @mention yet, to be put in front of it so that the
    direct post reaches them (uncounted: domain.posts.publishing.Marks); ValidationFailed
    (key `text`) when the text is blank or too long, the length counting what was typed."""
    if not text.strip():
        raise ValidationFailed({"text": EMPTY_MESSAGE})
    if problem := text_problem(text, "Message"):
        raise ValidationFailed({"text": problem})
    named = {name.lower() for name in extract_mentions(text)}
    return [name for name in usernames if name.lower() not in named]


async def start(author: User, username: str, text: str) -> Post:
    """Send `text` to the account named `username`, in the conversation of the two (and of
    anyone else the text mentions). NotFound for an unknown or suspended account,
    Forbidden across a block, ValidationFailed (key `text`) for a bad text."""
    recipient = await accounts.get_profile(username)
    await conversations.refuse_across_blocks(author.id, [recipient.id])
    addressed_to = unaddressed(text, [recipient.username])
    return await publish(author, text, visibility="direct", addressed_to=addressed_to)


async def reply(author: User, conversation_id: int, text: str) -> Post:
    """Send `text` to everyone in one of the author's conversations. NotFound when it is not
    theirs or is hidden by a block; otherwise as `start`."""
    found = await conversations.conversation(author.id, conversation_id)
    usernames = [other.username for other in found.others]
    addressed_to = unaddressed(text, usernames)
    return await publish(author, text, visibility="direct", addressed_to=addressed_to)


async def answer(author: User, post_id: int, text: str) -> Post | None:
    """A Mastodon client's reply to a message (`in_reply_to_id` naming a direct post of a
    conversation the author is in) sent as the next message of that conversation, so that
    it continues it as in Mastodon; None when the post is no such message, for the caller
    to make an ordinary reply. Raises as `reply`."""
    conversation_id = await conversations.conversation_of(author.id, post_id)
    if conversation_id is None:
        return None
    return await reply(author, conversation_id, text)
