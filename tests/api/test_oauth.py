"""Apps, the consent page, the token grants, PKCE, JWT checks, revocation and scopes."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from httpx import AsyncClient, Response

from domain import oauth
from domain.oauth import AccessToken
from domain.oauth.tokens import _signing_key as signing_key
from tests.api.helpers import ALL_SCOPES, caller, make_app, make_user, token_for
from tests.helpers import PASSWORD, post_form, sign_up

CALLBACK = "https://client.example/callback"


async def register(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    data = {"client_name": "My client", "redirect_uris": CALLBACK, "scopes": ALL_SCOPES, **fields}
    response = await client.post("/api/v1/apps", data=data)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def token_request(
    client: AsyncClient, app: dict[str, Any], grant_type: str, **fields: str
) -> Response:
    """POST /oauth/token with the app's credentials in the body."""
    data = {
        "grant_type": grant_type,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        **fields,
    }
    return await client.post("/oauth/token", data=data)


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"v" * 40).decode().rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def target_of(page: str) -> str:
    """Where the post-consent page sends the browser (its link)."""
    match = re.search(r'<a href="([^"]+)" rel="noreferrer">', page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


async def consent(client: AsyncClient, app: dict[str, Any], decision: str, **extra: str) -> Any:
    """Log in as a browser would and answer the consent form."""
    query = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "read write",
        "state": "xyz",
        **extra,
    }
    page = await client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    assert "Authorize" in page.text and "Deny" in page.text
    return await post_form(client, "/oauth/authorize", {**query, "decision": decision})


# ---------------------------------------------------------------- apps


async def test_register_app_returns_credentials_as_mastodon_does(client: AsyncClient) -> None:
    app = await register(client)
    assert app["name"] == "My client"
    assert app["redirect_uri"] == CALLBACK and app["redirect_uris"] == [CALLBACK]
    assert app["scopes"] == ["read", "write", "follow", "push"]
    assert app["client_id"] and app["client_secret"] and app["id"].isdigit()


async def test_register_app_accepts_json_and_an_array_of_uris(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/apps",
        json={"client_name": "toot", "redirect_uris": [CALLBACK, "urn:ietf:wg:oauth:2.0:oob"]},
    )
    assert response.status_code == 200
    assert response.json()["redirect_uris"] == [CALLBACK, "urn:ietf:wg:oauth:2.0:oob"]
    assert response.json()["scopes"] == ["read"]


async def test_register_app_rejects_bad_input(client: AsyncClient) -> None:
    cases = [
        {"client_name": "", "redirect_uris": CALLBACK},
        {"client_name": "x", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "x", "redirect_uris": "https://a.example/#frag"},
        {"client_name": "x", "redirect_uris": ""},
        {"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read admin:write"},
        {"client_name": "x" * 101, "redirect_uris": CALLBACK},
    ]
    for data in cases:
        response = await client.post("/api/v1/apps", data=data)
        assert response.status_code == 422, data
        assert "error" in response.json()


async def test_app_verify_credentials_needs_a_token(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/apps/verify_credentials")).status_code == 401
    token = await token_for(None, "read")
    response = await client.get(
        "/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Test client"
    assert "client_secret" not in response.json() or response.json()["client_secret"] is None


# ---------------------------------------------------------------- password grant


async def test_password_grant_issues_a_signed_jwt(client: AsyncClient) -> None:
    alice = await make_user("alice")
    app = await register(client)
    response = await token_request(
        client, app, "password", username="alice", password=PASSWORD, scope="read write"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write"
    assert response.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == "agora" and claims["sub"] == str(alice.id)
    assert claims["scope"] == "read write" and claims["jti"] and claims["exp"] > claims["iat"]
    me = await client.get(
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.status_code == 200 and me.json()["username"] == "alice"


async def test_password_grant_refuses_wrong_password_and_bad_clients(client: AsyncClient) -> None:
    await make_user("alice")
    app = await register(client)
    base = {"grant_type": "password", "client_id": app["client_id"], "username": "alice"}
    wrong = await client.post(
        "/oauth/token",
        data={**base, "client_secret": app["client_secret"], "password": "not the password"},
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    bad_secret = await client.post(
        "/oauth/token", data={**base, "client_secret": "nope", "password": PASSWORD}
    )
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
    unknown = await client.post(
        "/oauth/token",
        data={**base, "client_id": "nobody", "client_secret": "x", "password": PASSWORD},
    )
    assert unknown.status_code == 401
    beyond = await client.post(
        "/oauth/token",
        data={
            **base,
            "client_secret": app["client_secret"],
            "password": PASSWORD,
            "scope": "read write admin:read",
        },
    )
    assert beyond.status_code == 400 and beyond.json()["error"] == "invalid_scope"
    odd = await client.post(
        "/oauth/token", data={**base, "grant_type": "implicit", "client_secret": "x"}
    )
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"


async def test_scope_beyond_the_apps_registration_is_refused(client: AsyncClient) -> None:
    await make_user("alice")
    app = await register(client, scopes="read")
    response = await token_request(
        client, app, "password", username="alice", password=PASSWORD, scope="read write"
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


async def test_password_grant_is_rate_limited(client: AsyncClient) -> None:
    await make_user("alice")
    app = await register(client)
    data = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": "alice",
        "password": "wrong!!!",
    }
    codes = [(await client.post("/oauth/token", data=data)).status_code for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429


async def test_client_credentials_token_reads_public_data_but_acts_for_nobody(
    client: AsyncClient,
) -> None:
    app = await register(client)
    response = await client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write",
        },
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get("/api/v1/timelines/public", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/apps/verify_credentials", headers=headers)).status_code == 200
    home = await client.get("/api/v1/timelines/home", headers=headers)
    assert home.status_code == 422
    assert home.json()["error"] == "This method requires an authenticated user"


async def test_http_basic_client_authentication(client: AsyncClient) -> None:
    app = await register(client)
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200 and response.json()["scope"] == "read"


# ---------------------------------------------------------------- authorization code + PKCE


async def test_authorize_sends_visitors_to_log_in_first(client: AsyncClient) -> None:
    app = await register(client)
    response = await client.get(
        "/oauth/authorize",
        params={"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    assert parse_qs(urlsplit(location).query)["next"][0].startswith("/oauth/authorize?")


async def test_authorization_code_flow_with_pkce(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    verifier, challenge = pkce_pair()
    page = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "read write",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 200
    assert "My client" in page.text and "@alice" in page.text
    answer = await consent(
        client, app, "authorize", code_challenge=challenge, code_challenge_method="S256"
    )
    assert answer.status_code == 200
    target = target_of(answer.text)
    assert answer.headers["refresh"] == f"0; url={target}"
    query = parse_qs(urlsplit(target).query)
    assert target.startswith(CALLBACK) and query["state"] == ["xyz"]
    code = query["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": code,
        "redirect_uri": CALLBACK,
    }
    wrong = await client.post("/oauth/token", data={**exchange, "code_verifier": "x" * 43})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # A failed exchange used the code up: a code works once, whatever happens.
    again = await client.post("/oauth/token", data={**exchange, "code_verifier": verifier})
    assert again.status_code == 400


async def test_authorization_code_exchange_succeeds_once(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    verifier, challenge = pkce_pair()
    answer = await consent(
        client, app, "authorize", code_challenge=challenge, code_challenge_method="S256"
    )
    code = parse_qs(urlsplit(target_of(answer.text)).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    first = await client.post("/oauth/token", data=exchange)
    assert first.status_code == 200, first.text
    assert first.json()["scope"] == "read write"
    assert (await client.post("/oauth/token", data=exchange)).status_code == 400


async def test_pkce_verifier_is_required_when_a_challenge_was_given(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    _, challenge = pkce_pair()
    answer = await consent(
        client, app, "authorize", code_challenge=challenge, code_challenge_method="S256"
    )
    code = parse_qs(urlsplit(target_of(answer.text)).query)["code"][0]
    response = await token_request(
        client, app, "authorization_code", code=code, redirect_uri=CALLBACK
    )
    assert response.status_code == 400


async def test_plain_pkce_is_refused(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    response = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "code_challenge": "a" * 43,
            "code_challenge_method": "plain",
            "state": "s",
        },
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["s"]


async def test_code_without_pkce_and_the_redirect_uri_must_match(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    answer = await consent(client, app, "authorize")
    code = parse_qs(urlsplit(target_of(answer.text)).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": code,
    }
    mismatch = await client.post(
        "/oauth/token", data={**exchange, "redirect_uri": "https://evil.example/"}
    )
    assert mismatch.status_code == 400


async def test_deny_sends_access_denied_back(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    answer = await consent(client, app, "deny")
    query = parse_qs(urlsplit(target_of(answer.text)).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]
    assert "code" not in query


async def test_consent_form_needs_the_csrf_token(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    response = await client.post(
        "/oauth/authorize",
        data={
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "decision": "authorize",
        },
    )
    assert response.status_code == 403


async def test_out_of_band_code_is_shown_on_the_page(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client, redirect_uris="urn:ietf:wg:oauth:2.0:oob")
    query = {"client_id": app["client_id"], "response_type": "code", "scope": "read"}
    answer = await post_form(client, "/oauth/authorize", {**query, "decision": "authorize"})
    assert answer.status_code == 200
    match = re.search(r'readonly value="([^"]+)"', answer.text)
    assert match
    token = await token_request(
        client,
        app,
        "authorization_code",
        code=match.group(1),
        redirect_uri="urn:ietf:wg:oauth:2.0:oob",
    )
    assert token.status_code == 200 and token.json()["scope"] == "read"


async def test_bad_client_or_redirect_uri_is_never_redirected_to(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    unknown = await client.get(
        "/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": CALLBACK, "response_type": "code"},
    )
    assert unknown.status_code == 400 and "location" not in unknown.headers
    evil = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": "https://evil.example/",
            "response_type": "code",
        },
    )
    assert evil.status_code == 400 and "location" not in evil.headers
    assert "redirect URI" in evil.text


async def test_codes_expire(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client)
    answer = await consent(client, app, "authorize")
    code = parse_qs(urlsplit(target_of(answer.text)).query)["code"][0]
    from domain.oauth import AuthorizationCode

    await AuthorizationCode.update(
        {AuthorizationCode.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True
    )
    response = await token_request(
        client, app, "authorization_code", code=code, redirect_uri=CALLBACK
    )
    assert response.status_code == 400


# ---------------------------------------------------------------- tokens on requests


async def test_missing_malformed_forged_and_expired_tokens_get_401(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    url = "/api/v1/accounts/verify_credentials"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url)).json() == {"error": "The access token is invalid"}
    for header in ("Bearer", "Basic abc", "Bearer not.a.jwt", f"Token {alice.token}"):
        response = await client.get(url, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert "error" in response.json()
    claims = jwt.decode(alice.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "some other key that is long enough for HS256", algorithm="HS256")
    assert (await client.get(url, headers={"Authorization": f"Bearer {forged}"})).status_code == 401
    expired = jwt.encode(
        {**claims, "exp": 1}, signing_key(), algorithm="HS256"
    )  # correctly signed, but expired
    assert (
        await client.get(url, headers={"Authorization": f"Bearer {expired}"})
    ).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    response = await client.get(url, headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401


async def test_a_token_for_another_user_cannot_be_minted_by_editing_sub(
    client: AsyncClient,
) -> None:
    alice = await caller(client, "alice")
    bob = await make_user("bob")
    claims = jwt.decode(alice.token, options={"verify_signature": False})
    # Even signed with the right key, a jti names the user it was issued to.
    tampered = jwt.encode({**claims, "sub": str(bob.id)}, signing_key(), algorithm="HS256")
    response = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {tampered}"}
    )
    assert response.status_code == 401


async def test_invalid_token_on_a_public_endpoint_is_still_401(client: AsyncClient) -> None:
    response = await client.get(
        "/api/v1/timelines/public", headers={"Authorization": "Bearer junk"}
    )
    assert response.status_code == 401


async def test_revoked_token_is_refused_at_once(client: AsyncClient) -> None:
    await make_user("alice")
    app = await register(client)
    issued = await token_request(
        client, app, "password", username="alice", password=PASSWORD, scope="read"
    )
    token = issued.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    ).status_code == 200
    # Another app's credentials cannot revoke it.
    other = await register(client)
    await client.post(
        "/oauth/revoke",
        data={
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
            "token": token,
        },
    )
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    ).status_code == 200
    revoked = await client.post(
        "/oauth/revoke",
        data={"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token},
    )
    assert revoked.status_code == 200 and revoked.json() == {}
    response = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert response.status_code == 401
    assert await AccessToken.count().where(AccessToken.revoked_at.is_not_null()) == 1


async def test_revoke_needs_client_credentials_and_ignores_unknown_tokens(
    client: AsyncClient,
) -> None:
    app = await register(client)
    bad = await client.post(
        "/oauth/revoke", data={"client_id": app["client_id"], "client_secret": "x", "token": "t"}
    )
    assert bad.status_code == 401
    unknown = await client.post(
        "/oauth/revoke",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "token": "garbage",
        },
    )
    assert unknown.status_code == 200


async def test_suspended_users_tokens_stop_working(client: AsyncClient) -> None:
    alice = await caller(client, "alice")
    from domain.accounts import User

    await User.update({User.is_suspended: True}).where(User.id == alice.user.id)
    assert (await alice.get("/api/v1/accounts/verify_credentials")).status_code == 401


# ---------------------------------------------------------------- scopes


async def test_read_only_token_cannot_write(client: AsyncClient) -> None:
    reader = await caller(client, "alice", scopes="read")
    response = await reader.post("/api/v1/statuses", data={"status": "hello"})
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert (await reader.get("/api/v1/timelines/home")).status_code == 200


async def test_sub_scopes_grant_only_their_part(client: AsyncClient) -> None:
    poster = await caller(client, "alice", scopes="write:statuses")
    assert (await poster.post("/api/v1/statuses", data={"status": "hi"})).status_code == 200
    assert (await poster.get("/api/v1/timelines/home")).status_code == 403
    assert (await poster.get("/api/v1/accounts/verify_credentials")).status_code == 403
    status = (await poster.post("/api/v1/statuses", data={"status": "again"})).json()
    assert (await poster.post(f"/api/v1/statuses/{status['id']}/favourite")).status_code == 403


async def test_follow_scope_covers_following(client: AsyncClient) -> None:
    follower = await caller(client, "alice", scopes="follow")
    bob = await make_user("bob")
    response = await follower.post(f"/api/v1/accounts/{bob.id}/follow")
    assert response.status_code == 200 and response.json()["following"] is True
    relations = await follower.get("/api/v1/accounts/relationships", params={"id[]": bob.id})
    assert relations.status_code == 200
    assert (await follower.get("/api/v1/timelines/home")).status_code == 403


async def test_profile_scope_reads_only_ones_own_account(client: AsyncClient) -> None:
    profile = await caller(client, "alice", scopes="profile")
    assert (await profile.get("/api/v1/accounts/verify_credentials")).status_code == 200
    assert (await profile.get("/api/v1/timelines/home")).status_code == 403


async def test_server_metadata_lists_the_endpoints(client: AsyncClient) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    assert body["token_endpoint"] == "http://agora.test/oauth/token"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert set(body["grant_types_supported"]) == {
        "authorization_code",
        "password",
        "client_credentials",
    }


async def test_make_app_helper_is_consistent(client: AsyncClient) -> None:
    registered = await make_app()
    assert registered.redirect_uris == [oauth.OOB_REDIRECT_URI]


async def test_consent_page_escapes_what_the_app_chose(client: AsyncClient) -> None:
    await sign_up(client, "alice")
    app = await register(client, client_name="<script>alert(1)</script>")
    page = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "state": '"><script>x</script>',
        },
    )
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_expired_grants_are_cleaned_up(client: AsyncClient) -> None:
    alice = await make_user("alice")
    registered = await make_app()
    live = await oauth.issue_token(registered.app, alice, frozenset({"read"}))
    stale = await oauth.issue_token(registered.app, alice, frozenset({"read"}))
    await AccessToken.update(
        {AccessToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(
        AccessToken.jti
        == jwt.decode(stale.access_token, options={"verify_signature": False})["jti"]
    )
    assert await oauth.delete_expired_grants() == 1
    assert await AccessToken.count() == 1
    assert (await oauth.verify_token(live.access_token)).user is not None


async def test_people_see_and_revoke_their_authorized_apps(client: AsyncClient) -> None:
    visitor = await client.get("/oauth/authorized_applications")
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login")
    await sign_up(client, "alice")
    assert (
        "No app can use your account" in (await client.get("/oauth/authorized_applications")).text
    )
    app = await register(client, client_name="Phone app")
    issued = await token_request(
        client, app, "password", username="alice", password=PASSWORD, scope="read write"
    )
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    page = await client.get("/oauth/authorized_applications")
    assert "Phone app" in page.text and "Revoke" in page.text
    unprotected = await client.post(f"/oauth/authorized_applications/{app['id']}/revoke")
    assert unprotected.status_code == 403  # the CSRF token is required
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    ).status_code == 200
    revoked = await post_form(client, f"/oauth/authorized_applications/{app['id']}/revoke", {})
    assert revoked.status_code == 303
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    ).status_code == 401
    assert "Phone app" not in (await client.get("/oauth/authorized_applications")).text
