"""What other software fetches to learn what this server is and who lives on it: WebFinger
(RFC 7033) and host-meta (RFC 6415) for accounts, NodeInfo 2.0 and 2.1 for the server.

Every URL and the domain of every `acct:` name come from the configured public URL
(`PUBLIC_URL`), never from the request's Host header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery

from domain import accounts
from domain.accounts import User
from domain.core.errors import NotFound
from domain.core.settings import Settings
from web.api.serializers import (
    INSTANCE_DESCRIPTION,
    INSTANCE_TITLE,
    MASTODON_VERSION,
    agora_version,
    base_url,
)

JRD = "application/jrd+json"
XRD = "application/xrd+xml"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
NODEINFO_VERSIONS = ("2.0", "2.1")
SOFTWARE_NAME = "agora"
NOT_FOUND = "No account by that name lives here."
MALFORMED = (
    "resource must be acct:name@domain or an account's profile URL, for example acct:alice@{domain}"
)
HOST_META = """<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" type="{jrd}" template="{base}/.well-known/webfinger?resource={{uri}}"/>
</XRD>
"""


def _username_in(resource: str, settings: Settings) -> str | None:
    """The username a WebFinger resource names on this server; None when it names someone
    elsewhere. Raises ValidationException (400) for what is neither an `acct:` URI nor an
    http(s) URL."""
    malformed = ValidationException(MALFORMED.format(domain=settings.public_domain))
    if resource.startswith("acct:"):
        username, at, domain = resource.removeprefix("acct:").removeprefix("@").partition("@")
        if not (username and at and domain):
            raise malformed
        return (
            username if domain.lower() in (settings.public_host, settings.public_domain) else None
        )
    parts = urlsplit(resource)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise malformed
    ours = urlsplit(settings.public_url)
    if (parts.scheme, parts.netloc.lower()) != (ours.scheme, ours.netloc):
        return None
    username = parts.path.removeprefix("/@")
    return username if parts.path.startswith("/@") and "/" not in username else None


def _jrd(user: User, settings: Settings) -> dict[str, Any]:
    profile = f"{settings.public_url}/@{user.username}"
    return {
        "subject": f"acct:{user.username}@{settings.public_domain}",
        "aliases": [profile],
        "links": [
            {"rel": PROFILE_PAGE, "type": "text/html", "href": profile},
            # Agora does not federate, so `self` is the profile page, not an ActivityPub actor:
            # servers that look for an application/activity+json link find none.
            {"rel": "self", "type": "text/html", "href": profile},
        ],
    }


def _nodeinfo(version: str, usage: accounts.Usage) -> dict[str, Any]:
    """A NodeInfo document (nodeinfo.diaspora.software, schema 2.0 or 2.1; 2.1's optional
    software repository and homepage are left out: Agora has no public home yet)."""
    return {
        "version": version,
        "software": {"name": SOFTWARE_NAME, "version": agora_version()},
        # Agora speaks no federation protocol yet; the schema wants at least one, but naming
        # one would send other servers to endpoints that do not exist.
        "protocols": [],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": True,
        "usage": {
            "users": {
                "total": usage.total,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {
            "nodeName": INSTANCE_TITLE,
            "nodeDescription": INSTANCE_DESCRIPTION,
            # The Mastodon API release it serves; client libraries (megalodon) read this to
            # talk to it as to Mastodon.
            "upstream": {"name": "mastodon", "version": MASTODON_VERSION},
        },
    }


class WellKnownController(Controller):
    """The `/.well-known/` documents and the NodeInfo documents they point to."""

    tags = ["discovery"]

    @get("/.well-known/webfinger")
    async def webfinger(
        self, request: Request[Any, Any, Any], resource: FromQuery[str | None] = None
    ) -> Response[dict[str, Any]]:
        """A local account as a JRD (RFC 7033): `resource` is `acct:name@domain` or the
        account's profile URL. 400 when `resource` is missing or malformed, 404 for an account
        that is not here (unknown, suspended, or on another domain)."""
        settings: Settings = request.app.state.settings
        if not resource:
            raise ValidationException(MALFORMED.format(domain=settings.public_domain))
        username = _username_in(resource.strip(), settings)
        user = await accounts.find_user(username) if username else None
        if user is None or user.is_suspended:
            raise NotFound(NOT_FOUND)
        return Response(_jrd(user, settings), media_type=JRD)

    @get("/.well-known/host-meta", media_type=XRD)
    async def host_meta(self, request: Request[Any, Any, Any]) -> Response[str]:
        """An XRD (RFC 6415) whose `lrdd` template points at WebFinger."""
        return Response(HOST_META.format(base=base_url(request), jrd=JRD), media_type=XRD)

    @get("/.well-known/nodeinfo")
    async def nodeinfo_links(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """The NodeInfo documents this server has, newest last."""
        base = base_url(request)
        return {
            "links": [
                {"rel": NODEINFO_SCHEMA.format(version=v), "href": f"{base}/nodeinfo/{v}"}
                for v in NODEINFO_VERSIONS
            ]
        }

    @get("/nodeinfo/{version:str}")
    async def nodeinfo(self, version: FromPath[str]) -> Response[dict[str, Any]]:
        """NodeInfo `version` (2.0 or 2.1): software, protocols, registrations and usage (users
        in total and signed in within 30 and 180 days, local posts). 404 for other versions."""
        if version not in NODEINFO_VERSIONS:
            raise NotFound(f"NodeInfo {version} is not served; try 2.0 or 2.1.")
        profile = f"{NODEINFO_SCHEMA.format(version=version)}#"
        return Response(
            _nodeinfo(version, await accounts.usage()),
            media_type=f'application/json; profile="{profile}"',
        )
