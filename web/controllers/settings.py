"""`/settings/...`: the account settings page (the theme, the default post visibility,
approving new followers), the profile form, blocked accounts and logging out everywhere."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from domain import accounts, oauth, social
from domain.core.errors import ValidationFailed
from web.auth import clear_session_cookie, logged_in_user, requires_login
from web.flash import Flash, with_flash
from web.forms import FailedForm, failed_form, failure_status, read_upload, show_failure, text_field

# The theme setting's choices (accounts.THEMES), as the settings page labels them.
THEME_CHOICES = (("auto", "Follow the device"), ("light", "Light"), ("dark", "Dark"))


class SettingsController(Controller):
    path = "/settings"
    guards = [requires_login]

    @get("/")
    async def settings_page(self, request: Request[Any, Any, Any]) -> Template:
        """The settings, or a failed save kept for `?failed=` (web/forms.py)."""
        failed = await failed_form(request)
        return await _settings_page(request, failed or FailedForm({}, {}, HTTP_200_OK))

    @post("/theme")
    async def save_theme(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The colour theme (`theme`: auto, light or dark); a 422 with the message otherwise."""
        user = logged_in_user(request)
        value = text_field(await request.form(), "theme")
        try:
            await accounts.save_theme(user, value)
        except ValidationFailed as failure:
            return await _show_settings_failure(request, {"theme": value}, failure)
        return Redirect("/settings#appearance-heading", status_code=303)

    @post("/visibility")
    async def save_default_visibility(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The visibility new posts start from; a value that is none of the four is shown
        back on the settings page with the error (422)."""
        user = logged_in_user(request)
        value = text_field(await request.form(), "default_visibility")
        try:
            await accounts.set_default_visibility(user, value)
        except ValidationFailed as failure:
            return await _show_settings_failure(request, {"default_visibility": value}, failure)
        return Redirect("/settings#posting-heading", status_code=303)

    @get("/blocks")
    async def blocked_accounts(
        self, request: Request[Any, Any, Any], before: FromQuery[int] = 0
    ) -> Template:
        """The people the user has blocked, 40 at a time, most recent first."""
        user = logged_in_user(request)
        page = await social.blocked_accounts(user.id, before_id=before or None)
        return Template("accounts/blocks.html", context={"page": page})

    @post("/followers")
    async def save_followers(self, request: Request[Any, Any, Any]) -> Redirect:
        """Save "Approve new followers" (the account's `locked` flag); turning it off accepts every
        waiting follow request. The box is always on the form: its absence means off."""
        user = logged_in_user(request)
        ticked = text_field(await request.form(), "locked")
        if ticked not in ("", "on"):
            raise ValidationException("The field locked is a checkbox: on, or not sent at all.")
        await social.set_locked(user, ticked == "on")
        return Redirect("/settings", status_code=303)

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
        with_flash(response, request, Flash.LOGGED_OUT_EVERYWHERE)
        return response

    @get("/profile")
    async def edit_profile(self, request: Request[Any, Any, Any]) -> Template:
        """The profile form, filled from the account, or a failed save kept for `?failed=`."""
        viewer = logged_in_user(request)
        if failed := await failed_form(request):
            return _profile_page(failed)
        values = {
            "display_name": viewer.display_name,
            "bio": viewer.bio,
            "fields": accounts.profile_fields(viewer),
            "bot": viewer.bot,
        }
        return _profile_page(_kept(values, {}, HTTP_200_OK))

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
            failed = _kept(values, failure.errors, failure_status(failure))

            async def render(failed: FailedForm) -> Response[Any]:
                return _profile_page(failed)

            return await show_failure(request, "/settings/profile", failed, render)
        response = Redirect(f"/@{viewer.username}", status_code=303)
        with_flash(response, request, Flash.PROFILE_SAVED)
        return response


async def _settings_page(request: Request[Any, Any, Any], form: FailedForm) -> Template:
    """The settings page; `form` holds a failed save's value and error, if any."""
    user = logged_in_user(request)
    return Template(
        "accounts/settings.html",
        context={
            "session_count": await accounts.count_sessions(user.id),
            "themes": THEME_CHOICES,
            "values": form.values,
            "errors": form.errors,
        },
        status_code=form.status_code,
    )


async def _show_settings_failure(
    request: Request[Any, Any, Any], values: dict[str, str], failure: ValidationFailed
) -> Response[Any]:
    """A setting that could not be saved, shown on the settings page at a URL a reload does
    not re-submit (Post/Redirect/Get, web/forms.py)."""

    async def render(failed: FailedForm) -> Response[Any]:
        return await _settings_page(request, failed)

    failed = FailedForm(values, failure.errors, failure_status(failure))
    return await show_failure(request, "/settings", failed, render)


def _kept(values: dict[str, Any], errors: dict[str, str], status: int) -> FailedForm:
    """The profile form's values as kept between requests: field rows as [name, value]."""
    fields: list[accounts.ProfileField] = values["fields"]
    rows = [[field.name, field.value] for field in fields]
    return FailedForm({**values, "fields": rows}, errors, status)


def _profile_page(form: FailedForm) -> Template:
    """The profile form: every field row, filled ones first, then empty ones."""
    filled = [accounts.ProfileField(name, value) for name, value in form.values["fields"]]
    blank = accounts.ProfileField("", "")
    rows = [*filled, *[blank] * (accounts.MAX_PROFILE_FIELDS - len(filled))]
    return Template(
        "profiles/edit.html",
        context={"values": {**form.values, "fields": rows}, "errors": form.errors},
        status_code=form.status_code,
    )
