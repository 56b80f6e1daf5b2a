"""The social graph: following and blocking, how two members stand, and the block rules
every other concept applies (as SQL conditions and as checks)."""

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
from domain.social.follows import USER_MISSING, follow, followed_by, followers_of, unfollow
from domain.social.people import AccountPage, AccountSummary, account_summary, person_columns
from domain.social.relationships import BlockState, Relationship, block_states, relationships
from domain.social.tables import Block, Follow

__all__ = [
    "SELF_BLOCK",
    "USER_MISSING",
    "AccountPage",
    "AccountSummary",
    "Block",
    "BlockState",
    "Follow",
    "Relationship",
    "account_summary",
    "block",
    "block_states",
    "blocked_accounts",
    "check_blockable",
    "follow",
    "followed_by",
    "followers_of",
    "outside_viewer_blocks",
    "person_columns",
    "refuse",
    "refuse_if_blocked",
    "refuse_if_blocked_by_author",
    "relationships",
    "state",
    "state_with_author",
    "unblock",
    "unblocked",
    "unfollow",
]
