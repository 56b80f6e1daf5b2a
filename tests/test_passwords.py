"""Unit tests for the password rules and the argon2id hasher."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from domain.accounts import passwords


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8"),
        ("x" * 1025, "at most 1024"),
        ("password123", "too common"),
        ("PassWord123", "too common"),
        ("qwertyuiop", "too common"),
    ],
)
def test_bad_passwords_are_refused_with_a_reason(password: str, problem: str) -> None:
    message = passwords.password_problem(password)
    assert message is not None
    assert problem in message


@pytest.mark.parametrize("password", ["eight ch", "x" * 1024, "correct horse battery staple"])
def test_good_passwords_pass(password: str) -> None:
    assert passwords.password_problem(password) is None


def test_common_password_list_is_shipped_and_loaded() -> None:
    assert len(passwords.common_passwords()) >= 100
    assert "iloveyou" in passwords.common_passwords()


def test_hashes_are_argon2id_and_verify() -> None:
    hashed = passwords.hash_password("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "a long enough passphrase")
    assert not passwords.verify_password(hashed, "a long enough passphrasE")
    assert not passwords.verify_password("not a hash", "anything at all")


def test_hashes_with_other_parameters_need_rehash() -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=4, type=Type.ID)
    assert passwords.needs_rehash(stronger.hash("a long enough passphrase"))
    assert not passwords.needs_rehash(passwords.hash_password("a long enough passphrase"))


async def test_log_in_upgrades_a_hash_made_with_old_parameters() -> None:
    from domain import accounts
    from domain.accounts import User

    user = await accounts.sign_up("olga", "Olga", "a long enough passphrase")
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=2, type=Type.ID)
    await User.update({User.password_hash: old.hash("a long enough passphrase")}).where(
        User.id == user.id
    )
    assert await accounts.authenticate("olga", "a long enough passphrase") is not None
    upgraded = await User.select(User.password_hash).where(User.id == user.id).first()
    assert upgraded is not None
    assert not passwords.needs_rehash(upgraded["password_hash"])
    assert passwords.verify_password(upgraded["password_hash"], "a long enough passphrase")
