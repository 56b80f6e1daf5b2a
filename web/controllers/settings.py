"""`/settings/...`: the account settings page, the theme, the profile form, blocked accounts
and logging out everywhere."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from domain import accounts, oauth, social
from domain.core.errors import ValidationFailed
from web.auth import clear_session_cookie, logged_in_user, requires_login
from web.forms import failure_status, read_upload, text_field

# The theme setting's choices (accounts.THEMES), as the settings page labels them.
THEME_CHOICES = (("auto", "Follow the device"), ("light", "Light"), ("dark", "Dark"))


class SettingsController(Controller):
    path = "/settings"
    guards = [requires_login]

    @get("/")
    async def settings_page(self, request: Request[Any, Any, Any]) -> Template:
        return await _settings_page(request, {})

    @post("/theme")
    async def save_theme(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The colour theme (`theme`: auto, light or dark); a 422 with the message otherwise."""
        user = logged_in_user(request)
        form = await request.form()
        try:
            await accounts.save_theme(user, text_field(form, "theme"))
        except ValidationFailed as failure:
            return await _settings_page(request, failure.errors, failure_status(failure))
        return Redirect("/settings#appearance-heading", status_code=303)

    @get("/blocks")
    async def blocked_accounts(
        self, request: Request[Any, Any, Any], before: FromQuery[int] = 0
    ) -> Template:
        """The people the user has blocked, 40 at a time, most recent first."""
        user = logged_in_user(request)
        page = await social.blocked_accounts(user.id, before_id=before or None)
        return Template("accounts/blocks.html", context={"page": page})

    @post("/sessions/end-all")
    async def end_all_sessions(self, request: Request[Any, Any, Any]) -> Redirect:
        """Log out every browser; with the `apps` box ticked, revoke every app's token too."""
        user = logged_in_user(request)
        form = await request.form()
        await accounts.end_all_sessions(user.id)
        if text_field(form, "apps") == "revoke":
            await oauth.revoke_all_tokens(user.id)
        response = Redirect("/login", status_code=303)
        clear_session_cookie(response, request)
        return response

    @get("/profile")
    async def edit_profile(self, request: Request[Any, Any, Any]) -> Template:
        viewer = logged_in_user(request)
        values = {
            "display_name": viewer.display_name,
            "bio": viewer.bio,
            "fields": accounts.profile_fields(viewer),
            "bot": viewer.bot,
        }
        return Template("profiles/edit.html", context=_profile_form(values, {}))

    @post("/profile")
    async def save_profile(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Display name, bio, profile fields, the bot flag and optional new avatar and header
        images; the form is multipart, since it may carry images."""
        viewer = logged_in_user(request)
        form = await request.form()
        display_name, bio = text_field(form, "display_name"), text_field(form, "bio")
        fields = [
            accounts.ProfileField(
                text_field(form, f"field_name_{i}"), text_field(form, f"field_value_{i}")
            )
            for i in range(accounts.MAX_PROFILE_FIELDS)
        ]
        # The box is always on the form, so its absence means "not automated".
        bot = text_field(form, "bot") == "on"
        try:
            await accounts.save_profile(
                viewer,
                display_name,
                bio,
                await read_upload(form, "avatar"),
                header=await read_upload(form, "header"),
                fields=fields,
                bot=bot,
            )
        except ValidationFailed as failure:
            values = {"display_name": display_name, "bio": bio, "fields": fields, "bot": bot}
            return Template(
                "profiles/edit.html",
                context=_profile_form(values, failure.errors),
                status_code=failure_status(failure),
            )
        return Redirect(f"/@{viewer.username}", status_code=303)


async def _settings_page(
    request: Request[Any, Any, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    user = logged_in_user(request)
    return Template(
        "accounts/settings.html",
        context={
            "session_count": await accounts.count_sessions(user.id),
            "themes": THEME_CHOICES,
            "errors": errors,
        },
        status_code=status_code,
    )


def _profile_form(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The profile form's context: every field row, filled ones first, then empty ones."""
    filled: list[accounts.ProfileField] = values["fields"]
    blank = accounts.ProfileField("", "")
    rows = [*filled, *[blank] * (accounts.MAX_PROFILE_FIELDS - len(filled))]
    return {"values": {**values, "fields": rows}, "errors": errors}
