"""Moderation: who may suspend whom, who may hand out roles, and the staff's account list.
`python -m domain.moderation <username> <role>` gives the first admin their role."""

from domain.moderation.staff import (
    PAGE_SIZE,
    RANK,
    AccountRow,
    find_accounts,
    may_moderate,
    reinstate,
    set_role,
    suspend,
)

__all__ = [
    "PAGE_SIZE",
    "RANK",
    "AccountRow",
    "find_accounts",
    "may_moderate",
    "reinstate",
    "set_role",
    "suspend",
]
