"""`python -m domain.moderation <username> <role>`: give an account a role from the command
line, for the first admin, who has nobody to ask."""

from __future__ import annotations

import argparse
import asyncio

from domain.accounts import ROLES, User
from domain.core import database
from domain.moderation.staff import find_target


async def _grant(username: str, role: str) -> None:
    """Bootstrap: give a role from the command line (the first admin has nobody to ask)."""
    await database.open_pool(min_size=1, max_size=1)
    try:
        target = await find_target(username)
        if role not in ROLES:
            raise SystemExit(f"role must be one of {', '.join(ROLES)}")
        target.role = role
        await target.save([User.role])
        print(f"@{target.username} is now {role}")
    finally:
        await database.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description="Give an account a role: member, moderator, admin")
    parser.add_argument("username")
    parser.add_argument("role", choices=ROLES)
    arguments = parser.parse_args()
    asyncio.run(_grant(arguments.username, arguments.role))


if __name__ == "__main__":
    main()
