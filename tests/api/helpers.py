"""Helpers for API tests: accounts, registered apps and bearer tokens made directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient, Response

from domain import accounts, oauth
from domain.accounts import User
from tests.helpers import PASSWORD

ALL_SCOPES = "read write follow push"


@dataclass
class Caller:
    """A user with a token, and a client that sends it."""

    user: User
    token: str
    client: AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _with(self, kwargs: dict[str, Any]) -> dict[str, str]:
        return {**self.headers, **kwargs.pop("headers", {})}

    async def get(self, url: str, **kwargs: Any) -> Response:
        return await self.client.get(url, headers=self._with(kwargs), **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        return await self.client.post(url, headers=self._with(kwargs), **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> Response:
        return await self.client.patch(url, headers=self._with(kwargs), **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> Response:
        return await self.client.delete(url, headers=self._with(kwargs), **kwargs)

    async def status(self, text: str, **fields: Any) -> dict[str, Any]:
        response = await self.post("/api/v1/statuses", data={"status": text, **fields})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def make_user(username: str, display_name: str = "") -> User:
    return await accounts.sign_up(username, display_name or username.title(), PASSWORD)


async def make_app(
    scopes: str = ALL_SCOPES, redirect_uri: str = oauth.OOB_REDIRECT_URI
) -> oauth.RegisteredApp:
    return await oauth.register_app("Test client", [redirect_uri], scopes, None)


async def token_for(user: User | None, scopes: str = ALL_SCOPES) -> str:
    registered = await make_app(ALL_SCOPES)
    issued = await oauth.issue_token(registered.app, user, oauth.parse_scopes(scopes))
    return issued.access_token


async def caller(client: AsyncClient, username: str, scopes: str = ALL_SCOPES) -> Caller:
    user = await make_user(username)
    return Caller(user, await token_for(user, scopes), client)
