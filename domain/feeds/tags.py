"""The one test of whether a post carries a #tag, shared by tag pages, the API's tag timeline
and search."""

from __future__ import annotations

from piccolo.querystring import QueryString

from domain.core.sql import sql


def has_tag(tag: str) -> QueryString:
    """A condition on post `p` true when its text carries #tag (`tag` already normalized by
    posts.normalize_tag), in any case.

    The full-text index (see the migrations) narrows the candidates; the pattern, with the
    same boundaries as domain.posts.text's tag pattern in PostgreSQL's regex dialect, then
    checks that the word really is a #tag.
    """
    return sql(
        "to_tsvector('simple', p.text) @@ plainto_tsquery('simple', {tag}) AND p.text ~* {pattern}",
        tag=tag,
        pattern=f"(^|[^[:alnum:]_#&/])#{tag}([^[:alnum:]_]|$)",
    )
