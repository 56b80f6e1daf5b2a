"""Post and comment text: stored exactly as typed, rendered to safe HTML on the way out.

Rendering escapes everything first and only then adds the markup Agora itself makes
(links, mentions, tags, line breaks), so nothing a user types can become markup.
"""

from __future__ import annotations

import html
import re

MAX_POST_LENGTH = 500
MAX_COMMENT_LENGTH = MAX_POST_LENGTH
MAX_TAG_LENGTH = 64
TAG_PATTERN = re.compile(r"[A-Za-z0-9_]{1,64}")

# One pass over the text finds URLs, @mentions and #tags in order, so they never overlap.
_TOKENS = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?<![\w@/])@(?P<mention>[A-Za-z0-9_]{1,30})(?![\w@])"
    r"|(?<![\w#&/])#(?P<tag>[A-Za-z0-9_]{1,64})(?!\w)"
)


def render_html(text: str) -> str:
    """Escaped HTML for the text, with links, mention links, tag links and line breaks."""
    parts: list[str] = []
    position = 0
    for match in _TOKENS.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        parts.append(_link_for(match))
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts).replace("\r\n", "\n").replace("\n", "<br>\n")


def _link_for(match: re.Match[str]) -> str:
    if url := match.group("url"):
        shown = html.escape(url)
        return f'<a href="{shown}" rel="nofollow noopener ugc">{shown}</a>'
    if mention := match.group("mention"):
        return f'<a href="/@{mention}" class="mention">@{mention}</a>'
    tag = match.group("tag")
    return f'<a href="/tags/{tag.lower()}" class="tag">#{tag}</a>'


def extract_tags(text: str) -> list[str]:
    """The distinct tags in the text, lower-cased, in order of first appearance."""
    found = (match.group("tag") for match in _TOKENS.finditer(text) if match.group("tag"))
    return list(dict.fromkeys(tag.lower() for tag in found))


def extract_mentions(text: str) -> list[str]:
    """The distinct @mentioned usernames in the text, lower-cased, in order of appearance."""
    found = (match.group("mention") for match in _TOKENS.finditer(text) if match.group("mention"))
    return list(dict.fromkeys(name.lower() for name in found))


def normalize_tag(tag: str) -> str | None:
    """The canonical form of a tag as it appears in a URL or search, or None if invalid."""
    tag = tag.removeprefix("#")
    return tag.lower() if TAG_PATTERN.fullmatch(tag) else None


def text_problem(text: str, noun: str = "Post", max_length: int = MAX_POST_LENGTH) -> str | None:
    """What is wrong with a post or comment text, if anything; counted after trimming."""
    length = len(text.strip())
    if length == 0:
        return f"{noun} cannot be empty."
    if length > max_length:
        return f"{noun} must be at most {max_length} characters (it has {length})."
    return None
