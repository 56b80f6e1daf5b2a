"""`/api/v1/accounts`: the caller's own account, other accounts, their posts, follows and
blocks (Mastodon's Account and Relationship entities)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from domain import accounts, feeds, social
from domain.accounts import User
from domain.core.errors import NotFound
from web.api import entities
from web.api.auth import me, needs, public_access, viewer
from web.api.openapi import Field
from web.api.paging import Window, id_range, link_header
from web.api.params import read_params
from web.api.serializers import Presenter, account_list

NOT_FOUND = "Record not found"
PROFILE_FIELDS = (
    Field("display_name", "Up to 50 characters"),
    Field("note", "The bio, up to 300 characters of plain text"),
)


async def _account(account_id: str) -> User:
    """A visible account by its API id; 404 for anything else, suspended ones included."""
    if not account_id.isdigit() or len(account_id) > 9:
        raise NotFound(NOT_FOUND)
    user = await accounts.visible_user(int(account_id))
    if user is None:
        raise NotFound(NOT_FOUND)
    return user


class AccountsController(Controller):
    path = "/v1/accounts"
    tags = ["accounts"]

    @get("/verify_credentials", **needs("read:accounts", "profile"))
    async def verify_credentials(
        self, request: Request[Any, Any, Any]
    ) -> entities.CredentialAccount:
        """The token's own account, with its editable `source`."""
        return await Presenter(request, me(request)).credential_account(me(request))

    @patch("/update_credentials", **needs("write:accounts", body=PROFILE_FIELDS))
    async def update_credentials(
        self, request: Request[Any, Any, Any]
    ) -> entities.CredentialAccount:
        """Change `display_name` and/or `note` (the bio); fields left out stay as they are."""
        user = me(request)
        params = await read_params(request)
        await accounts.save_profile(
            user,
            params.text("display_name", user.display_name),
            params.text("note", user.bio),
        )
        return await Presenter(request, user).credential_account(user)

    @get("/relationships", **needs("read:follows"))
    async def relationships(self, request: Request[Any, Any, Any]) -> list[entities.Relationship]:
        """How the caller and each account in `id[]` follow one another."""
        params = await read_params(request)
        ids = list(
            dict.fromkeys(int(i) for i in params.get_list("id") if i.isdigit() and len(i) < 10)
        )
        found = await social.relationships(me(request).id, ids)
        presenter = Presenter(request, me(request))
        return [presenter.relationship(other, found[other]) for other in ids]

    @get("/lookup", **public_access())
    async def lookup(
        self, request: Request[Any, Any, Any], acct: FromQuery[str]
    ) -> entities.Account:
        """An account by its username (`acct`, with or without `@` and this server's domain)."""
        username, _, domain = acct.removeprefix("@").partition("@")
        if domain and domain.lower() not in (request.url.hostname or "", request.url.netloc):
            raise NotFound(NOT_FOUND)
        user = await accounts.find_user(username)
        if user is None or user.is_suspended:
            raise NotFound(NOT_FOUND)
        return await Presenter(request, viewer(request)).one_account(user)

    @get("/{account_id:str}", **public_access())
    async def account(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Account:
        """One account."""
        user = await _account(account_id)
        return await Presenter(request, viewer(request)).one_account(user)

    @get("/{account_id:str}/statuses", **public_access())
    async def statuses(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[str],
        window: Window,
        only_media: FromQuery[bool] = False,
        pinned: FromQuery[bool] = False,
    ) -> Response[list[entities.Status]]:
        """The account's posts, newest first (comments are not listed here); `only_media`:
        those with an image."""
        user = await _account(account_id)
        if pinned:  # Agora has no pinned posts
            return Response([])
        page = await feeds.account_post_ids(user.id, window, only_media)
        found = await Presenter(request, viewer(request)).posts([i.item_id for i in page.items])
        return Response(found, headers=link_header(request, page, window.limit))

    async def _follow_list(
        self,
        request: Request[Any, Any, Any],
        account_id: str,
        max_id: str | None,
        limit: int | None,
        followers: bool,
    ) -> Response[list[entities.Account]]:
        user = await _account(account_id)
        window = id_range(max_id, None, None, limit)
        lister = social.followers_of if followers else social.followed_by
        page = await lister(user.id, window.limit, window.max_id)
        return await account_list(request, page, window.limit)

    @get("/{account_id:str}/followers", **public_access())
    async def followers(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[str],
        max_id: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Response[list[entities.Account]]:
        """Who follows the account, most recent first; paged with `max_id` and `Link`."""
        return await self._follow_list(request, account_id, max_id, limit, followers=True)

    @get("/{account_id:str}/following", **public_access())
    async def following(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[str],
        max_id: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Response[list[entities.Account]]:
        """Whom the account follows, most recent first; paged with `max_id` and `Link`."""
        return await self._follow_list(request, account_id, max_id, limit, followers=False)

    @post("/{account_id:str}/follow", status_code=HTTP_200_OK, **needs("write:follows"))
    async def follow(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Follow the account (doing it twice is harmless); 422 for oneself."""
        user = await _account(account_id)
        await social.follow(me(request), user.id)
        return await self._relationship(request, user.id)

    @post("/{account_id:str}/unfollow", status_code=HTTP_200_OK, **needs("write:follows"))
    async def unfollow(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Stop following the account."""
        user = await _account(account_id)
        await social.unfollow(me(request), user.id)
        return await self._relationship(request, user.id)

    @post("/{account_id:str}/block", status_code=HTTP_200_OK, **needs("write:blocks"))
    async def block(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Block the account, ending the follows both ways (doing it twice is harmless);
        422 for oneself."""
        user = await _account(account_id)
        await social.block(me(request), user.id)
        return await self._relationship(request, user.id)

    @post("/{account_id:str}/unblock", status_code=HTTP_200_OK, **needs("write:blocks"))
    async def unblock(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Lift a block of the account; follows it ended are not restored."""
        user = await _account(account_id)
        await social.unblock(me(request), user.id)
        return await self._relationship(request, user.id)

    async def _relationship(
        self, request: Request[Any, Any, Any], other_id: int
    ) -> entities.Relationship:
        found = await social.relationships(me(request).id, [other_id])
        return Presenter(request, me(request)).relationship(other_id, found[other_id])
