"""No credential in a URL, none in a log line: /oauth/token and /oauth/revoke refuse secrets in
the query string (RFC 6749 2.3.1), the access log masks secret-carrying query values, and a
full journey against uvicorn (the Procfile's web process) leaves no secret in its output."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.helpers import make_app
from tests.browser.conftest import serving
from tests.helpers import rendered_form
from web.access_log import redact_query

QUERY_SECRETS = [
    "password",
    "client_secret",
    "code",
    "token",
    "refresh_token",
    "code_verifier",
    # Neighbours of the names: a list's brackets, another case (the name is given as sent).
    "password[]",
    "Client_Secret",
]


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke"])
@pytest.mark.parametrize("name", QUERY_SECRETS)
async def test_credentials_in_the_query_string_are_refused(
    client: AsyncClient, endpoint: str, name: str
) -> None:
    registered = await make_app()
    response = await client.post(
        f"{endpoint}?{name}=s3cret",
        data={
            "grant_type": "client_credentials",
            "client_id": registered.app.client_id,
            "client_secret": registered.client_secret,
            "token": "x",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert name in body["error_description"] and "never in the URL" in body["error_description"]
    assert "s3cret" not in response.text


async def test_harmless_query_parameters_still_work(client: AsyncClient) -> None:
    registered = await make_app()
    response = await client.post(
        f"/oauth/token?grant_type=client_credentials&client_id={registered.app.client_id}",
        data={"client_secret": registered.client_secret},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/oauth/token?password=hunter2&x=1", "/oauth/token?password=[redacted]&x=1"),
        (
            "/api/v1/timelines/home?access_token=abc.def&limit=2",
            "/api/v1/timelines/home?access_token=[redacted]&limit=2",
        ),
        ("/x?CLIENT_SECRET=a&code=b", "/x?CLIENT_SECRET=[redacted]&code=[redacted]"),
        ("/x?pass%77ord=a&token[]=b", "/x?pass%77ord=[redacted]&token[]=[redacted]"),
        (
            "/x?code_verifier=v&refresh_token=r",
            "/x?code_verifier=[redacted]&refresh_token=[redacted]",
        ),
        ("/x?passwords=a&codes=b", "/x?passwords=a&codes=b"),
        # Control characters, spaces and brackets around a name do not hide it.
        (
            "/oauth/token?client_secret%00=s&%20password=p&token%5B%5D=t",
            "/oauth/token?client_secret%00=[redacted]&%20password=[redacted]&token%5B%5D=[redacted]",
        ),
        ("/oauth/token?client_secret\x00=s", "/oauth/token?client_secret\x00=[redacted]"),
        # Parameters in the path itself (`;`), which no route takes but a 404 still logs.
        ("/oauth/revoke;client_secret=s", "/oauth/revoke;client_secret=[redacted]"),
        ("/x;token=t?password=p", "/x;token=[redacted]?password=[redacted]"),
        # As uvicorn writes such a path, percent-encoded.
        ("/api/v1/foo%3Bpassword%3Dp", "/api/v1/foo;password=[redacted]"),
        # The server reads a `;` as part of a query value: so is the mask.
        ("/oauth/token?password=abc;tail&x=1", "/oauth/token?password=[redacted]&x=1"),
        ("/@alice/followers?before=3", "/@alice/followers?before=3"),
        ("/login?next=/settings", "/login?next=/settings"),
        ("/no/query", "/no/query"),
    ],
)
def test_the_access_log_masks_secret_query_values(path: str, logged: str) -> None:
    assert redact_query(path) == logged


@pytest.fixture
def logged_server(test_database: str) -> Iterator[tuple[str, Path]]:
    """uvicorn as the Procfile runs it, its stdout and stderr kept in a file."""
    log_path = Path(tempfile.mkstemp(prefix="agora-log-", suffix=".txt")[1])
    try:
        with (
            log_path.open("wb") as log,
            serving({"OUTBOX_SWEEP_SECONDS": "3600"}, log, "--no-server-header") as server,
        ):
            yield server.url, log_path
    finally:
        log_path.unlink(missing_ok=True)


def form_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_full_journey_leaves_no_secret_in_the_logs(logged_server: tuple[str, Path]) -> None:
    base_url, log_path = logged_server
    password = "journey-" + secrets.token_urlsafe(12)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    used: dict[str, str] = {"password": password, "code_verifier": verifier}

    with (
        httpx.Client(base_url=base_url, timeout=10) as browser,
        httpx.Client(base_url=base_url, timeout=10) as program,
    ):
        # A person signs up and logs in through the forms (the password in the body only).
        page = browser.get("/signup")
        signed_up = browser.post(
            "/signup",
            data={
                "username": "journey",
                "display_name": "J",
                "password": password,
                "_csrf_token": form_token(page.text),
            },
        )
        assert signed_up.status_code == 303
        used["session"] = browser.cookies["agora_session"]
        wrong = browser.post(
            "/login",
            data={
                "username": "journey",
                "password": "wrong-" + password,
                "_csrf_token": form_token(browser.get("/login").text),
            },
        )
        # Post/Redirect/Get: the refusal is shown (401) at the page the 303 leads to.
        assert wrong.status_code == 303
        assert browser.get(wrong.headers["location"]).status_code == 401
        used["wrong password"] = "wrong-" + password

        # An app registers and goes through the authorization code flow with PKCE.
        app = program.post(
            "/api/v1/apps",
            data={
                "client_name": "Journey",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write",
            },
        ).json()
        used["client_secret"] = app["client_secret"]
        consent = browser.get(
            "/oauth/authorize",
            params={
                "client_id": app["client_id"],
                "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
                "response_type": "code",
                "scope": "read write",
                "code_challenge": challenge.decode().rstrip("="),
                "code_challenge_method": "S256",
            },
        )
        url, fields = rendered_form(consent.text, "/oauth/authorize")
        shown = browser.post(url, data={**fields, "decision": "authorize"})
        code_match = re.search(r'id="authorization-code"[^>]* readonly value="([^"]+)"', shown.text)
        assert code_match, shown.text
        used["code"] = code_match.group(1)
        exchanged = program.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": used["code"],
                "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
                "code_verifier": verifier,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            },
        )
        assert exchanged.status_code == 200, exchanged.text
        used["access token"] = token = exchanged.json()["access_token"]

        # The password grant, the client authenticated with HTTP Basic.
        granted = program.post(
            "/oauth/token",
            data={"grant_type": "password", "username": "journey", "password": password},
            auth=(app["client_id"], app["client_secret"]),
        )
        assert granted.status_code == 200, granted.text
        used["password grant token"] = granted.json()["access_token"]

        bearer = {"Authorization": f"Bearer {token}"}
        assert program.get("/api/v1/accounts/verify_credentials", headers=bearer).status_code == 200
        posted = program.post("/api/v1/statuses", data={"status": "Hello"}, headers=bearer)
        assert posted.status_code == 200
        assert program.get("/api/v1/timelines/home", headers=bearer).status_code == 200

        # Careless clients: secrets in the URL are refused, and still never logged.
        careless = program.post(
            "/oauth/token",
            params={"grant_type": "password", "username": "journey", "password": password},
            data={"client_id": app["client_id"], "client_secret": app["client_secret"]},
        )
        assert careless.status_code == 400
        assert (
            program.post(
                "/oauth/revoke",
                params={"token": token, "client_secret": app["client_secret"]},
                data={"client_id": app["client_id"]},
            ).status_code
            == 400
        )
        program.get("/api/v1/timelines/home", params={"access_token": token})
        # The streaming API takes the token in the query, as Mastodon's does.
        streaming = base_url.replace("http://", "ws://") + "/api/v1/streaming"
        with connect(f"{streaming}?access_token={token}&stream=user") as socket:
            socket.send(json.dumps({"type": "subscribe", "stream": "nowhere"}))
            assert json.loads(socket.recv(timeout=5))["error"] == "Unknown stream type"
        used["refused token"] = refused_token = "not-" + token
        with pytest.raises(InvalidStatus):
            connect(f"{streaming}?access_token={refused_token}")

        revoked = program.post(
            "/oauth/revoke",
            data={
                "token": used["password grant token"],
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            },
        )
        assert revoked.status_code == 200
        logged_out = browser.post(
            "/logout", data={"_csrf_token": form_token(browser.get("/").text)}
        )
        assert logged_out.status_code == 303

    log = log_path.read_text(errors="replace")
    # The log was really written: the journey's requests are in it, masked where needed.
    assert '"POST /oauth/token HTTP/1.1" 200' in log
    assert "password=[redacted]" in log and "access_token=[redacted]" in log
    assert '"WebSocket /api/v1/streaming?access_token=[redacted]&stream=user" [accepted]' in log
    for what, secret in used.items():
        assert secret not in log, f"the {what} is in the log"
