""" "Log out everywhere" in a real browser, JavaScript on and off: browser sessions always end,
apps' API tokens only when "Also sign out apps" is ticked."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from domain.accounts import User
from tests.api.helpers import token_for
from tests.browser.test_accounts_browser import sign_up
from tests.conftest import run_async


def app_token(username: str) -> str:
    async def issue() -> str:
        user = await User.objects().where(User.username == username).first()
        assert user is not None
        return await token_for(user)

    return run_async(issue)


@pytest.mark.parametrize("apps_too", [True, False], ids=["apps-too", "browsers-only"])
async def test_log_out_everywhere_from_the_settings_page(
    page: Page, live_server: str, apps_too: bool
) -> None:
    await sign_up(page, "roamer", "Roamer")
    token = app_token("roamer")
    await page.goto("/settings")
    box = page.get_by_label("Also sign out apps")
    await expect(box).not_to_be_checked()
    if apps_too:
        await box.check()
    await page.get_by_role("button", name="Log out everywhere").click()
    await expect(page).to_have_url(f"{live_server}/login")
    await page.goto("/settings")
    await expect(page).to_have_url(f"{live_server}/login?next=%2Fsettings")
    answer = await page.request.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == (401 if apps_too else 200)
