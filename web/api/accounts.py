"""`/api/v1/accounts`: the caller's own account, other accounts, their posts, follows and
blocks (Mastodon's Account and Relationship entities)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from domain import accounts, feeds, search, social
from domain.accounts import User
from domain.core.errors import NotFound
from domain.core.numbers import COUNT, SERIAL, optional_number, parse_number, path_id
from domain.core.paging import MAX_LIMIT, IdRange
from domain.core.visibility import chosen_visibility
from web.api import entities
from web.api.auth import me, needs, public_access, viewer
from web.api.errors import unprocessable
from web.api.openapi import Field
from web.api.paging import BackwardWindow, Window, link_header, page_limit
from web.api.params import OnlySetting, Params, as_flag, read_params
from web.api.serializers import Presenter, account_list
from web.forms import read_upload

NOT_FOUND = "Record not found"
BOOLEAN = OpenAPIType.BOOLEAN
PROFILE_FIELDS = (
    Field("display_name", "Up to 50 characters"),
    Field("note", "The bio, up to 300 characters of plain text"),
    Field("avatar", "A new avatar image, cropped square (a file: multipart/form-data)"),
    Field("header", "A new header image (a file: multipart/form-data)"),
    Field(
        "fields_attributes",
        "Up to 4 profile fields of plain text, replacing the ones there: "
        "fields_attributes[0][name], fields_attributes[0][value], ... (JSON: an array of "
        "{name, value}); an address as the value is shown as a link, not verified",
    ),
    Field("bot", "Whether the account is automated", BOOLEAN),
    Field(
        "locked",
        "Approve new followers: following asks first; false accepts every waiting request",
        BOOLEAN,
    ),
    Field("discoverable", "Only true: every account is found by search", BOOLEAN),
    Field("indexable", "Only true: every public post is found by search", BOOLEAN),
    Field("hide_collections", "Only false: follow lists are public", BOOLEAN),
    Field(
        "source[privacy]",
        "The visibility new statuses get when they do not say: public, unlisted, private or direct",
    ),
    Field("source[sensitive]", "Only false", BOOLEAN),
    Field("source[language]", "Not supported: only empty"),
    Field("attribution_domains", "Not supported: only empty", array=True),
)
# What Agora cannot do is refused rather than answered 200 and ignored.
ACCOUNT_SETTINGS = (
    OnlySetting("discoverable", True, "Agora's search finds every account"),
    OnlySetting("indexable", True, "Agora's search finds every public post"),
    OnlySetting("hide_collections", False, "Agora shows everyone's followers and follows"),
)
SOURCE_SETTINGS = (
    OnlySetting("source[sensitive]", False, "Agora does not mark images sensitive by default"),
    OnlySetting("source[language]", "", "Agora does not record the language of posts"),
)
FOLLOW_FIELDS = (
    Field("reblogs", "Only true: Agora has no boosts to hide", BOOLEAN),
    Field("notify", "Only false: Agora does not notify of new posts", BOOLEAN),
    Field("languages", "Not supported: only empty", array=True),
)
FOLLOW_SETTINGS = (
    OnlySetting("reblogs", True, "Agora has no boosts to show or hide"),
    OnlySetting("notify", False, "Agora does not notify of the posts of people you follow"),
)


def _check_settings(params: Params) -> None:
    """Refuse the account options Agora has only one setting of, in any other setting."""
    for setting in ACCOUNT_SETTINGS:
        setting.check(params.flag(setting.name))
    source = params.nested("source")
    if source is not None and not isinstance(source, dict):
        raise unprocessable("source must be an object: source[privacy], source[language], ...")
    for setting in SOURCE_SETTINGS:
        key = setting.name.removeprefix("source[").removesuffix("]")
        value = (source or {}).get(key)
        setting.check(
            as_flag(setting.name, value)
            if isinstance(setting.agora, bool)
            else (None if value is None else str(value))
        )
    if params.get_list("attribution_domains"):
        raise unprocessable("Agora does not support attribution domains (attribution_domains)")


def _profile_fields(params: Params) -> list[accounts.ProfileField] | None:
    """Mastodon's `fields_attributes`, numbered in a form or an array (or numbered object)
    in JSON, in order; None when not sent."""
    raw = params.nested("fields_attributes")
    if raw is None:
        return None
    if isinstance(raw, dict):
        if not all(key.isascii() and key.isdigit() for key in raw):
            raise unprocessable(
                "fields_attributes must be numbered: fields_attributes[0][name], ..."
            )
        raw = [raw[key] for key in sorted(raw, key=int)]
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise unprocessable("fields_attributes must be a list of {name, value} pairs")
    fields = [accounts.ProfileField(row.get("name", ""), row.get("value", "")) for row in raw]
    if not all(isinstance(f.name, str) and isinstance(f.value, str) for f in fields):
        raise unprocessable("fields_attributes names and values must be text")
    return fields


async def _image_file(request: Request[Any, Any, Any], params: Params, name: str) -> bytes | None:
    """The bytes of the image file sent as `name`; None when none was sent."""
    if params.get(name) is not None:
        raise unprocessable(f"{name} must be an image file, sent as multipart/form-data")
    if request.content_type[0] != "multipart/form-data":
        return None
    return await read_upload(await request.form(), name)


def _account_ids(params: Params) -> list[int]:
    """The accounts `id[]` names, once each, in order; 422 for an id that is not a number or
    for more than MAX_LIMIT of them."""
    ids = list(dict.fromkeys(parse_number(i, "id", SERIAL) for i in params.get_list("id")))
    if len(ids) > MAX_LIMIT:
        raise unprocessable(f"id[] may name at most {MAX_LIMIT} accounts")
    return ids


async def _account(account_id: str) -> User:
    """A visible account by its API id; 404 for anything else, suspended ones included."""
    user = await accounts.visible_user(path_id(account_id, SERIAL, NOT_FOUND))
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
        """Change the profile: `display_name`, `note` (the bio), `avatar` and `header` images,
        `fields_attributes`, `bot`, `locked` (approve new followers; false accepts every
        waiting request) and `source[privacy]` (the default visibility); what is left out stays
        as it is. Options Agora has only one setting of (`discoverable`, `indexable`,
        `hide_collections`, the rest of `source`) are accepted in that setting and refused with
        422 in any other."""
        user = me(request)
        params = await read_params(request)
        _check_settings(params)
        locked = params.flag("locked")
        privacy = (params.nested("source") or {}).get("privacy")
        # Checked before anything is saved, so that a bad value changes nothing.
        default_visibility = None if privacy is None else chosen_visibility(str(privacy))
        await accounts.save_profile(
            user,
            params.text("display_name", user.display_name),
            params.text("note", user.bio),
            await _image_file(request, params, "avatar"),
            header=await _image_file(request, params, "header"),
            fields=_profile_fields(params),
            bot=params.flag("bot"),
        )
        if locked is not None:
            await social.set_locked(user, locked)
        if default_visibility is not None:
            await accounts.set_default_visibility(user, default_visibility)
        return await Presenter(request, user).credential_account(user)

    @get("/relationships", **needs("read:follows"))
    async def relationships(self, request: Request[Any, Any, Any]) -> list[entities.Relationship]:
        """How the caller and each account in `id[]` follow, ask to follow and block one
        another."""
        params = await read_params(request)
        ids = list(dict.fromkeys(parse_number(i, "id", SERIAL) for i in params.get_list("id")))
        found = await social.relationships(me(request).id, ids)
        presenter = Presenter(request, me(request))
        return [presenter.relationship(other, found[other]) for other in ids]

    @get("/lookup", **public_access())
    async def lookup(
        self, request: Request[Any, Any, Any], acct: FromQuery[str]
    ) -> entities.Account:
        """An account by its username (`acct`, with or without `@` and this server's domain)."""
        username, _, domain = acct.removeprefix("@").partition("@")
        settings = request.app.state.settings
        if domain and domain.lower() not in (settings.public_host, settings.public_domain):
            raise NotFound(NOT_FOUND)
        user = await accounts.find_user(username)
        if user is None or user.is_suspended:
            raise NotFound(NOT_FOUND)
        return await Presenter(request, viewer(request)).one_account(user)

    @get("/search", **needs("read:accounts"))
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: FromQuery[str],
        limit: FromQuery[str | None] = None,
        offset: FromQuery[str | None] = None,
        resolve: FromQuery[bool] = False,
        following: FromQuery[bool] = False,
    ) -> list[entities.Account]:
        """Accounts whose username starts with `q` or whose display name contains it, as in
        /api/v2/search; `limit` (20, at most 40) and `offset` page them. `resolve` is accepted
        and ignored (Agora does not federate); `following=true` is refused with 422."""
        del resolve
        if following:
            raise unprocessable("Agora cannot search only the accounts you follow (following)")
        user = me(request)
        skip = optional_number(offset, "offset", COUNT) or 0
        ids = await search.search_account_ids(q, page_limit(limit), skip, user.id)
        return await Presenter(request, user).accounts_by_ids(ids)

    @get("/familiar_followers", **needs("read:follows"))
    async def familiar_followers(
        self, request: Request[Any, Any, Any]
    ) -> list[entities.FamiliarFollowers]:
        """For each account in `id[]` (at most 40), its followers whom the caller follows."""
        ids = _account_ids(await read_params(request))
        familiar = await social.familiar_followers(me(request).id, ids)
        everyone = list(dict.fromkeys(f for found in familiar.values() for f in found))
        presenter = Presenter(request, me(request))
        shown = {int(a.id): a for a in await presenter.accounts_by_ids(everyone)}
        return [
            entities.FamiliarFollowers(
                id=str(account_id),
                accounts=[shown[f] for f in familiar[account_id] if f in shown],
            )
            for account_id in ids
        ]

    @get("/", **public_access())
    async def index(self, request: Request[Any, Any, Any]) -> list[entities.Account]:
        """Several accounts in one call (`id[]`, at most 40), in the order asked; unknown and
        suspended ones are left out (Mastodon 4.3)."""
        ids = _account_ids(await read_params(request))
        return await Presenter(request, viewer(request)).accounts_by_ids(ids)

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
        """The account's posts that the caller may see, newest first (comments are not listed
        here); `only_media`: those with an image."""
        user = await _account(account_id)
        if pinned:  # Agora has no pinned posts
            return Response([])
        reader = viewer(request)
        page = await feeds.account_post_ids(
            user.id, reader.id if reader else None, window, only_media
        )
        found = await Presenter(request, reader).posts([i.item_id for i in page.items])
        return Response(found, headers=link_header(request, page, window.limit))

    async def _follow_list(
        self, request: Request[Any, Any, Any], account_id: str, window: IdRange, followers: bool
    ) -> Response[list[entities.Account]]:
        user = await _account(account_id)
        lister = social.followers_of if followers else social.followed_by
        page = await lister(user.id, window.limit, window.max_id)
        return await account_list(request, page, window.limit)

    @get("/{account_id:str}/followers", **public_access())
    async def followers(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[str],
        backward_window: BackwardWindow,
    ) -> Response[list[entities.Account]]:
        """Who follows the account, most recent first; paged with `max_id` and `Link`."""
        return await self._follow_list(request, account_id, backward_window, followers=True)

    @get("/{account_id:str}/following", **public_access())
    async def following(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[str],
        backward_window: BackwardWindow,
    ) -> Response[list[entities.Account]]:
        """Whom the account follows, most recent first; paged with `max_id` and `Link`."""
        return await self._follow_list(request, account_id, backward_window, followers=False)

    @post(
        "/{account_id:str}/follow",
        status_code=HTTP_200_OK,
        **needs("write:follows", body=FOLLOW_FIELDS),
    )
    async def follow(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Follow the account (doing it twice is harmless); 422 for oneself. A locked account
        is asked instead: the relationship says `requested`, not `following`. Mastodon's
        options are accepted only in Agora's setting: `reblogs` true, `notify` false, no
        `languages`."""
        params = await read_params(request)
        for setting in FOLLOW_SETTINGS:
            setting.check(params.flag(setting.name))
        if params.get_list("languages"):
            raise unprocessable("Agora does not filter posts by language (languages)")
        return await self._change(request, account_id, social.follow)

    @post("/{account_id:str}/unfollow", status_code=HTTP_200_OK, **needs("write:follows"))
    async def unfollow(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Stop following the account, or withdraw a request to follow it."""
        return await self._change(request, account_id, social.unfollow)

    @post("/{account_id:str}/block", status_code=HTTP_200_OK, **needs("write:blocks"))
    async def block(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Block the account, ending the follows both ways (doing it twice is harmless);
        422 for oneself."""
        return await self._change(request, account_id, social.block)

    @post("/{account_id:str}/unblock", status_code=HTTP_200_OK, **needs("write:blocks"))
    async def unblock(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> entities.Relationship:
        """Lift a block of the account; follows it ended are not restored."""
        return await self._change(request, account_id, social.unblock)

    async def _change(
        self,
        request: Request[Any, Any, Any],
        account_id: str,
        change: Callable[[User, int], Awaitable[None]],
    ) -> entities.Relationship:
        """Follow, unfollow, block or unblock the account; the relationship afterwards."""
        user = await _account(account_id)
        await change(me(request), user.id)
        return await self._relationship(request, user.id)

    async def _relationship(
        self, request: Request[Any, Any, Any], other_id: int
    ) -> entities.Relationship:
        found = await social.relationships(me(request).id, [other_id])
        return Presenter(request, me(request)).relationship(other_id, found[other_id])
