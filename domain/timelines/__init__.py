"""Home timelines: the PostgreSQL query that defines a reader's home feed, and the Redis
sorted sets that cache it, filled on write (fan-out) and rebuilt on a cold read.

Below the social graph and posts: following, unfollowing and publishing drop or push
timeline entries through this package, which reads their tables only through SQL."""

from domain.timelines.store import (
    FAN_OUT_BATCH,
    SENTINEL,
    TIMELINE_SIZE,
    big_authors_key,
    fan_out,
    followers_in_batches,
    forget,
    home_post_ids,
    home_query,
    now_ms,
    page_ids,
    push,
    rebuild,
    remove,
    retract,
    timeline_key,
)

__all__ = [
    "FAN_OUT_BATCH",
    "SENTINEL",
    "TIMELINE_SIZE",
    "big_authors_key",
    "fan_out",
    "followers_in_batches",
    "forget",
    "home_post_ids",
    "home_query",
    "now_ms",
    "page_ids",
    "push",
    "rebuild",
    "remove",
    "retract",
    "timeline_key",
]
