"""`/signup`, `/login` and `/logout`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import TooManyRequestsException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_401_UNAUTHORIZED,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from domain import accounts
from domain.accounts import User
from domain.core.errors import Conflict, ValidationFailed
from domain.core.settings import Settings
from web.auth import clear_session_cookie, safe_next, session_token, set_session_cookie
from web.flash import Flash, with_flash
from web.forms import FailedForm, Form, failed_form, show_failure
from web.rate_limit import RateLimiter, login_limits

WRONG_CREDENTIALS = "Wrong username or password."


@dataclass
class SignupForm:
    username: str = ""
    display_name: str = ""
    password: str = ""
    next: str = ""


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""
    next: str = ""


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def _logged_in_redirect(
    request: Request[Any, Any, Any], user: User, next_url: str
) -> Response[Any]:
    """Start a fresh session (rotating any old one) and go where the user was heading."""
    if old_token := session_token(request):
        await accounts.end_session(old_token)
    token = await accounts.start_session(user, request.headers.get("user-agent", ""))
    response = Redirect(safe_next(next_url), status_code=303)
    set_session_cookie(response, request, token)
    return response


async def _form_page(request: Request[Any, Any, Any], template: str, next_url: str) -> Template:
    """The sign-up or log-in page: empty, or the failed form kept for its `?failed=`."""
    failed = await failed_form(request) or FailedForm({"next": next_url}, {}, HTTP_200_OK)
    values = {**failed.values, "next": safe_next(failed.values.get("next"))}
    return Template(
        template,
        context={"values": values, "errors": failed.errors},
        status_code=failed.status_code,
    )


async def _failed(request: Request[Any, Any, Any], form: str, failed: FailedForm) -> Response[Any]:
    """Send a failed sign-up or log-in to its page (Post/Redirect/Get, see web/forms.py)."""

    async def render(failed: FailedForm) -> Response[Any]:
        return Template(
            f"accounts/{form}.html",
            context={"values": failed.values, "errors": failed.errors},
            status_code=failed.status_code,
        )

    return await show_failure(request, f"/{form}", failed, render)


class AccountController(Controller):
    @get("/signup")
    async def signup_page(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = ""
    ) -> Template:
        return await _form_page(request, "accounts/signup.html", next)

    @post("/signup")
    async def signup(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[SignupForm, Form],
        rate_limiter: NamedDependency[RateLimiter],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        await rate_limiter.hit(f"signup-ip:{_client_ip(request)}", settings.signups_per_hour, 3600)
        try:
            user = await accounts.sign_up(data.username, data.display_name, data.password)
        except ValidationFailed as failure:
            values = {
                "username": data.username,
                "display_name": data.display_name,
                "next": data.next,
            }
            status = (
                HTTP_409_CONFLICT
                if isinstance(failure, Conflict)
                else HTTP_422_UNPROCESSABLE_ENTITY
            )
            return await _failed(request, "signup", FailedForm(values, failure.errors, status))
        return await _logged_in_redirect(request, user, data.next)

    @get("/login")
    async def login_page(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = ""
    ) -> Template:
        return await _form_page(request, "accounts/login.html", next)

    @post("/login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Form],
        rate_limiter: NamedDependency[RateLimiter],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        limits = login_limits(settings, data.username, _client_ip(request))
        try:
            await rate_limiter.refuse_if_reached(limits)
        except TooManyRequestsException as refusal:
            # Shown in the answer, not through Post/Redirect/Get: Retry-After goes with it,
            # and posting it again is refused again, counting nothing.
            return Template(
                "accounts/login.html",
                context={
                    "values": {"username": data.username, "next": data.next},
                    "errors": {"form": refusal.detail},
                },
                status_code=refusal.status_code,
                headers=refusal.headers,
            )
        user = await accounts.authenticate(data.username, data.password)
        if user is None:
            await rate_limiter.count(limits)
            # One problem, one message: about the pair, so it belongs to no single field.
            failed = FailedForm(
                {"username": data.username, "next": data.next},
                {"form": WRONG_CREDENTIALS},
                HTTP_401_UNAUTHORIZED,
            )
            return await _failed(request, "login", failed)
        return await _logged_in_redirect(request, user, data.next)

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        if token := session_token(request):
            await accounts.end_session(token)
        response = Redirect("/", status_code=303)
        clear_session_cookie(response, request)
        with_flash(response, request, Flash.LOGGED_OUT)
        return response
