"""Unit tests for username and display-name rules, and the settings loader."""

from __future__ import annotations

import pytest

from domain.accounts import display_name_problem, username_problem
from domain.core.settings import DEVELOPMENT_SECRET_KEY, SettingsError, load_settings


@pytest.mark.parametrize("username", ["a", "Alice_99", "x" * 30, "___", "UPPER_lower_9"])
def test_valid_usernames(username: str) -> None:
    assert username_problem(username) is None


@pytest.mark.parametrize(
    ("username", "problem"),
    [
        ("", "Enter a username"),
        ("x" * 31, "at most 30"),
        ("has space", "letters a to z, digits and underscores"),
        ("dash-ed", "letters a to z, digits and underscores"),
        ("émile", "letters a to z, digits and underscores"),
        ("<script>", "letters a to z, digits and underscores"),
        ("\uff41\uff4c\uff49\uff43\uff45", "letters a to z, digits and underscores"),
    ],
)
def test_invalid_usernames(username: str, problem: str) -> None:
    message = username_problem(username)
    assert message is not None
    assert problem in message


def test_display_name_limit() -> None:
    assert display_name_problem("x" * 50) is None
    assert display_name_problem("x" * 51) is not None


def test_production_without_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings()


def test_development_gets_a_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_ENV", "development")
    monkeypatch.delenv("SECRET_KEY")
    assert load_settings().secret_key == DEVELOPMENT_SECRET_KEY


def test_malformed_number_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(SettingsError, match="PORT must be a whole number"):
        load_settings()
