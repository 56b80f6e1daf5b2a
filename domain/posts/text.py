"""Post and comment text: stored as typed (line endings made LF, surrounding whitespace
trimmed), rendered to safe HTML on the way out.

Rendering escapes everything first and only then adds the markup Agora itself makes
(links, mentions, tags, line breaks), so nothing a user types can become markup.

The rules, as the README states them:

- **Length** is counted in extended grapheme clusters (what a reader sees as one character:
  a family emoji or a letter with a combining accent is one), after line endings become LF,
  and every link counts as URL_LENGTH characters whatever its length, as Mastodon counts.
- **Links** are http and https URLs as linkify-it finds them: balanced parentheses stay in,
  trailing punctuation and quotes stay out, international domains and paths work.
- **Tags** are `#` and 1 to MAX_TAG_LENGTH letters, marks, digits and underscores of any
  script; a tag is compared in its canonical form (NFKC, then Unicode case folding).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import quote

import regex
from linkify_it import LinkifyIt

from domain.core.text import control_character_problem

MAX_POST_LENGTH = 500
MAX_COMMENT_LENGTH = MAX_POST_LENGTH
MAX_TAG_LENGTH = 64
# Every link counts as this many characters, long or short (Mastodon's number), so that a
# client counting with the instance's `characters_reserved_per_url` agrees with the server.
URL_LENGTH = 23
# However links are counted, the stored text has a ceiling: ten times the counted limit,
# in code points, links written out.
MAX_STORED_LENGTH = 10 * MAX_POST_LENGTH

_TAG_CHARACTER = r"[\p{L}\p{M}\p{Nd}_]"
_TAG_NAME = regex.compile(rf"{_TAG_CHARACTER}+")
# Mentions and tags, found in the text between links. A tag or mention glued to a word, an
# entity (`&#39;`) or a path is not one.
_TOKENS = regex.compile(
    r"(?<![\w@/])@(?P<mention>[A-Za-z0-9_]{1,30})(?![\w@])"
    rf"|(?<!{_TAG_CHARACTER}|[#&/])#(?P<tag>{_TAG_CHARACTER}+)(?!{_TAG_CHARACTER})"
)
_LINE_ENDINGS = regex.compile(r"\r\n?")
_GRAPHEME = regex.compile(r"\X")
_LINK_SCHEMAS = ("http:", "https:")
# linkify-it keeps these at the end of a URL; people mean them as the sentence's.
_TRAILING_NOT_URL = ":\"'\u00bb\u201d\u2019\u203a"

_linkify = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})


def normalize_text(text: str) -> str:
    """The text as it is counted and stored: CRLF and CR line endings become LF (browsers
    send a typed line break as CRLF), and surrounding whitespace goes."""
    return _LINE_ENDINGS.sub("\n", text).strip()


def _links(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each http(s) link in the text, in order."""
    for match in _linkify.match(text) or []:
        if match.schema not in _LINK_SCHEMAS:
            continue
        end = match.last_index
        while end > match.index and text[end - 1] in _TRAILING_NOT_URL:
            end -= 1
        yield match.index, end


def render_html(text: str) -> str:
    """Escaped HTML for the text, with links, mention links, tag links and `<br>` for line
    breaks. Links open the URL as written; tag links go to the tag's canonical page."""
    parts: list[str] = []
    position = 0
    for start, end in _links(text):
        parts.append(_render_words(text[position:start]))
        url = html.escape(text[start:end])
        parts.append(f'<a href="{url}" rel="nofollow noopener ugc">{url}</a>')
        position = end
    parts.append(_render_words(text[position:]))
    return _LINE_ENDINGS.sub("\n", "".join(parts)).replace("\n", "<br>\n")


def _render_words(text: str) -> str:
    """Escaped text with its mentions and tags linked (no URLs in it)."""
    parts: list[str] = []
    position = 0
    for match in _TOKENS.finditer(text):
        link = _token_link(match)
        if link is None:
            continue
        parts.append(html.escape(text[position : match.start()]))
        parts.append(link)
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _token_link(match: regex.Match[str]) -> str | None:
    if mention := match.group("mention"):
        return f'<a href="/@{mention}" class="mention">@{mention}</a>'
    typed = match.group("tag")
    tag = normalize_tag(typed)
    if tag is None:  # too long to be a tag: plain text
        return None
    return f'<a href="{tag_path(tag)}" class="tag">#{html.escape(typed)}</a>'


def tag_path(tag: str) -> str:
    """The site-relative address of a tag's page (`tag` canonical), percent-encoded."""
    return f"/tags/{quote(tag, safe='')}"


def _words_between(text: str, links: Iterable[tuple[int, int]]) -> Iterator[str]:
    """The parts of the text outside the links (spans from _links)."""
    position = 0
    for start, end in links:
        yield text[position:start]
        position = end
    yield text[position:]


def _tokens(text: str, group: str) -> Iterator[str]:
    for words in _words_between(text, _links(text)):
        for match in _TOKENS.finditer(words):
            if found := match.group(group):
                yield found


def extract_tags(text: str) -> list[str]:
    """The distinct tags in the text in canonical form (normalize_tag), in order of first
    appearance; a `#` inside a link is not a tag."""
    canonical = (normalize_tag(tag) for tag in _tokens(text, "tag"))
    return list(dict.fromkeys(tag for tag in canonical if tag is not None))


def extract_mentions(text: str) -> list[str]:
    """The distinct @mentioned usernames in the text, lower-cased, in order of appearance."""
    return list(dict.fromkeys(name.lower() for name in _tokens(text, "mention")))


def normalize_tag(tag: str) -> str | None:
    """The canonical form of a tag (with or without its `#`), as stored, linked and looked
    up: NFKC, Unicode case folding, NFKC again (folding can undo the normal form). None if
    it is not a tag: anything but letters, marks, digits and underscores, or more than
    MAX_TAG_LENGTH characters."""
    tag = unicodedata.normalize("NFKC", tag.removeprefix("#"))
    canonical = unicodedata.normalize("NFKC", tag.casefold())
    if not _TAG_NAME.fullmatch(canonical) or len(canonical) > MAX_TAG_LENGTH:
        return None
    return canonical


def text_length(text: str) -> int:
    """The length of a text as a person counts it, after normalize_text: extended grapheme
    clusters, with every link counting URL_LENGTH."""
    text = normalize_text(text)
    links = list(_links(text))
    words = sum(len(_GRAPHEME.findall(part)) for part in _words_between(text, links))
    return words + URL_LENGTH * len(links)


def text_problem(text: str, noun: str = "Post", max_length: int = MAX_POST_LENGTH) -> str | None:
    """What is wrong with a post or comment text, if anything, counted by text_length."""
    length = text_length(text)
    if length == 0:
        return f"{noun} cannot be empty."
    if length > max_length:
        return f"{noun} must be at most {max_length} characters (it has {length})."
    if len(normalize_text(text)) > MAX_STORED_LENGTH:
        return f"{noun} must be at most {MAX_STORED_LENGTH} characters with its links written out."
    return control_character_problem(text, noun)
