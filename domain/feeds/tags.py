"""The one test of whether a post carries a #tag, shared by tag pages, the API's tag timeline
and search."""

from __future__ import annotations

from piccolo.querystring import QueryString

from domain.core.sql import sql


def has_tag(tag: str) -> QueryString:
    """A condition on post `p` true when its text carries #tag; `tag` is canonical
    (posts.normalize_tag), as are the post's stored `tags` (filled by posts.publish with
    posts.extract_tags), so any case, script or normal form the tag was typed in matches.
    The GIN index on `post.tags` (see the migrations) answers it."""
    return sql("p.tags @> ARRAY[{tag}]::text[]", tag=tag)
