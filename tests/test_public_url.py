"""The configured public URL writes every absolute URL, whatever the Host header says, and a
request for a host that is not allowed is refused with a 400 (the test suite's public URL is
http://agora.test; 127.0.0.1, localhost and ::1 are allowed in development)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from domain import accounts
from domain.core.settings import SettingsError, load_settings
from tests.api.helpers import token_for
from tests.helpers import PASSWORD
from web.allowed_hosts import host_name

EVIL = {"Host": "evil.example"}


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/v1/instance", "/.well-known/oauth-authorization-server"]
)
async def test_an_unknown_host_is_refused(client: AsyncClient, path: str) -> None:
    response = await client.get(path, headers=EVIL)
    assert response.status_code == 400
    assert "evil.example" not in response.text
    assert "does not answer for that host name" in response.text
    if path.startswith(("/api/", "/.well-known/")):
        assert response.json() == {
            "error": "This server does not answer for that host name; check the address."
        }


@pytest.mark.parametrize(
    "host", ["evil.example:80", "agora.test.evil.example", "evil.example#agora.test", "", "[::2]"]
)
async def test_look_alike_hosts_are_refused(client: AsyncClient, host: str) -> None:
    assert (await client.get("/explore", headers={"Host": host})).status_code == 400


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:abc",
        "localhost:99999999",
        "::1",
        "agora.test:-1",
        "agora.test:80:80",
        # Refused by Litestar's router before any middleware, then by the error handler.
        "agora.test:80/evil",
        "agora.test:80?x",
        "agora.test:80#x",
        "agora.test:80\\x",
        "a:b/c",
    ],
)
@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/instance", "/health/live", "/metrics"])
async def test_a_host_header_that_is_no_host_is_a_400_everywhere(
    client: AsyncClient, host: str, path: str
) -> None:
    """Allowed names with a port that is no port (and an unbracketed IPv6 address) once
    passed as allowed and answered 500 where anything read the request's URL."""
    response = await client.get(path, headers={"Host": host})
    assert response.status_code == 400, response.text
    assert "host" in response.text.lower()


async def test_unknown_hosts_cannot_post_either(client: AsyncClient) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=EVIL
    )
    assert response.status_code == 400


async def test_health_checks_answer_any_host(client: AsyncClient) -> None:
    # Load balancers and compose's health check probe the machine's own address.
    assert (await client.get("/health/live", headers=EVIL)).status_code == 200


@pytest.mark.parametrize("host", ["agora.test", "AGORA.TEST:80", "127.0.0.1:8123", "[::1]:8000"])
async def test_allowed_hosts_get_urls_of_the_public_url(client: AsyncClient, host: str) -> None:
    metadata = await client.get("/.well-known/oauth-authorization-server", headers={"Host": host})
    assert metadata.status_code == 200
    body = metadata.json()
    assert body["issuer"] == "http://agora.test"
    assert body["token_endpoint"] == "http://agora.test/oauth/token"
    assert body["authorization_endpoint"] == "http://agora.test/oauth/authorize"


async def test_entities_and_link_headers_use_the_public_url(client: AsyncClient) -> None:
    alice = await accounts.sign_up("alice", "Alice", PASSWORD)
    headers = {"Authorization": f"Bearer {await token_for(alice)}", "Host": "localhost:8000"}
    for number in range(3):
        posted = await client.post(
            "/api/v1/statuses", data={"status": f"Post {number}"}, headers=headers
        )
        assert posted.status_code == 200
        status = posted.json()
        assert status["url"] == f"http://agora.test/@alice/{status['id']}"
        assert status["account"]["url"] == "http://agora.test/@alice"
        assert status["account"]["avatar"].startswith("http://agora.test/")
    page = await client.get("/api/v1/timelines/public?limit=1", headers=headers)
    links = page.headers["link"]
    assert links.count("<http://agora.test/api/v1/timelines/public?") == 2
    assert "localhost" not in links
    me = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.json()["url"] == "http://agora.test/@alice"


async def test_redirects_stay_relative(client: AsyncClient) -> None:
    response = await client.get("/settings", headers={"Host": "localhost"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("agora.test", "agora.test"),
        ("Agora.Test:8443", "agora.test"),
        ("[::1]:8000", "::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        # No host: an unbracketed IPv6 address, ports that are no port.
        ("::1", ""),
        ("agora.test:abc", ""),
        ("agora.test:", ""),
        ("agora.test:65536", ""),
        ("agora.test:99999999", ""),
        ("agora.test:\u00b9", ""),
        ("agora test", ""),
        ("[broken", ""),
        ("", ""),
    ],
)
def test_host_names_drop_the_port(header: str, name: str) -> None:
    assert host_name(header) == name


def test_public_url_defaults_and_normalisation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_ENV", "development")
    monkeypatch.delenv("PUBLIC_URL")
    monkeypatch.setenv("PORT", "8100")
    settings = load_settings()
    assert settings.public_url == "http://127.0.0.1:8100"
    assert settings.allowed_hosts == ("localhost", "127.0.0.1", "::1")
    assert not settings.is_https

    monkeypatch.setenv("LOCAL_DOMAIN", "Social.Example")
    assert load_settings().public_url == "https://social.example"
    monkeypatch.setenv("PUBLIC_URL", "https://Agora.Example:8443/")
    settings = load_settings()
    assert settings.public_url == "https://agora.example:8443"  # PUBLIC_URL wins
    assert (settings.public_host, settings.is_https) == ("agora.example", True)
    monkeypatch.setenv("ALLOWED_HOSTS", " www.agora.example, ,Agora.Internal ")
    assert load_settings().allowed_hosts == ("www.agora.example", "agora.internal")


def test_production_needs_a_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_ENV", "production")
    monkeypatch.delenv("PUBLIC_URL")
    monkeypatch.delenv("LOCAL_DOMAIN", raising=False)
    with pytest.raises(SettingsError, match="PUBLIC_URL is not set"):
        load_settings()
    monkeypatch.setenv("LOCAL_DOMAIN", "social.example")
    settings = load_settings()
    assert settings.public_url == "https://social.example"
    assert settings.allowed_hosts == ()  # production answers only the public host by default


@pytest.mark.parametrize(
    "value",
    [
        "agora.example",
        "ftp://agora.example",
        "https://",
        "https://agora.example/social",
        "https://agora.example/?x=1",
        "https://user@agora.example",
    ],
)
def test_a_malformed_public_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PUBLIC_URL", value)
    with pytest.raises(SettingsError, match="PUBLIC_URL must be"):
        load_settings()
