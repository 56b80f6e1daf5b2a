"""The social graph: following, follow requests and blocking, how two members stand, and the
block rules every other concept applies (as SQL conditions and as checks)."""

from domain.social.block_filters import (
    outside_viewer_blocks,
    refuse,
    refuse_if_blocked,
    refuse_if_blocked_by_author,
    state,
    state_with_author,
    unblocked,
)
from domain.social.blocks import SELF_BLOCK, block, blocked_accounts, check_blockable, unblock
from domain.social.follow_requests import (
    accept_request,
    count_requests_waiting,
    reject_request,
    requests_waiting,
    set_locked,
)
from domain.social.follows import (
    REQUEST_MISSING,
    USER_MISSING,
    familiar_followers,
    follow,
    followed_by,
    followers_of,
    unfollow,
)
from domain.social.people import AccountPage, AccountSummary, account_summary, person_columns
from domain.social.relationships import BlockState, Relationship, block_states, relationships
from domain.social.tables import Block, Follow, FollowRequest

__all__ = [
    "REQUEST_MISSING",
    "SELF_BLOCK",
    "USER_MISSING",
    "AccountPage",
    "AccountSummary",
    "Block",
    "BlockState",
    "Follow",
    "FollowRequest",
    "Relationship",
    "accept_request",
    "account_summary",
    "block",
    "block_states",
    "blocked_accounts",
    "check_blockable",
    "count_requests_waiting",
    "familiar_followers",
    "follow",
    "followed_by",
    "followers_of",
    "outside_viewer_blocks",
    "person_columns",
    "refuse",
    "refuse_if_blocked",
    "refuse_if_blocked_by_author",
    "reject_request",
    "relationships",
    "requests_waiting",
    "set_locked",
    "state",
    "state_with_author",
    "unblock",
    "unblocked",
    "unfollow",
]
