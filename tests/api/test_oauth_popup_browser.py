"""A web client on another origin logs in through a popup, in Chromium.

The client's page (a tiny server of its own on another port) opens /oauth/authorize in a
popup; the person logs in and authorises; Agora sends the popup back to the client's
callback page, which hands the code to `window.opener`. That last step only works if no page
on the way cut the popup off from its opener: `Cross-Origin-Opener-Policy: same-origin` on
any of them would (web/security_headers.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx
import pytest
from playwright.async_api import Browser, expect

from domain import accounts
from tests.browser.conftest import free_port
from tests.helpers import PASSWORD

OPENER_PAGE = """<!doctype html>
<html lang="en"><title>Client</title>
<button id="login">Log in with Agora</button>
<output id="code"></output>
<script>
  document.getElementById("login").addEventListener("click", () => {
    window.open(%(authorize)s, "agora", "popup,width=480,height=640");
  });
  window.addEventListener("message", (event) => {
    if (event.origin === window.location.origin) {
      document.getElementById("code").textContent = event.data.code;
    }
  });
</script>
</html>
"""
CALLBACK_PAGE = """<!doctype html>
<html lang="en"><title>Callback</title>
<p id="result"></p>
<script>
  const code = new URLSearchParams(window.location.search).get("code");
  if (window.opener) {
    window.opener.postMessage({code: code}, window.location.origin);
    document.getElementById("result").textContent = "sent";
  } else {
    document.getElementById("result").textContent = "no opener";
  }
</script>
</html>
"""


class ClientSite:
    """The client app's own origin: `/` opens the popup, `/callback` answers the opener."""

    def __init__(self) -> None:
        self.origin = f"http://127.0.0.1:{free_port()}"
        self.authorize_url = ""

    @property
    def callback(self) -> str:
        return f"{self.origin}/callback"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Pages(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    body = OPENER_PAGE % {"authorize": json.dumps(site.authorize_url)}
                else:
                    body = CALLBACK_PAGE
                encoded = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *args: object) -> None:
                pass

        return Pages


@pytest.fixture
def client_site() -> Iterator[ClientSite]:
    site = ClientSite()
    port = int(site.origin.rsplit(":", 1)[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), site.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


async def test_the_opener_receives_the_code_from_the_login_popup(
    browser: Browser, live_server: str, client_site: ClientSite
) -> None:
    await accounts.sign_up("popper", "Popper", PASSWORD)
    async with httpx.AsyncClient(base_url=live_server) as api:
        registered = await api.post(
            "/api/v1/apps",
            data={
                "client_name": "Popup app",
                "redirect_uris": client_site.callback,
                "scopes": "read",
            },
        )
    app = registered.json()
    client_site.authorize_url = f"{live_server}/oauth/authorize?" + urlencode(
        {
            "client_id": app["client_id"],
            "redirect_uri": client_site.callback,
            "response_type": "code",
            "scope": "read",
        }
    )
    context = await browser.new_context()
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(client_site.origin + "/")
    async with page.expect_popup() as opened:
        await page.get_by_role("button", name="Log in with Agora").click()
    popup = await opened.value
    await popup.get_by_label("Username").fill("popper")
    await popup.get_by_label("Password").fill(PASSWORD)
    await popup.get_by_role("button", name="Log in").click()
    await expect(popup.get_by_role("heading", level=1)).to_have_text("Authorize Popup app?")
    await popup.get_by_role("button", name="Authorize").click()
    await expect(popup.locator("#result")).to_have_text("sent")

    code_output = page.locator("#code")
    await expect(code_output).not_to_be_empty()
    code = await code_output.text_content()
    async with httpx.AsyncClient(base_url=live_server) as api:
        token = await api.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "code": code,
                "redirect_uri": client_site.callback,
            },
        )
        assert token.status_code == 200, token.text
        me = await api.get(
            "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert me.json()["username"] == "popper"
    await context.close()


OPENER_POLICIES = [
    ("GET", "/oauth/authorize?client_id=x", "unsafe-none"),
    ("POST", "/oauth/authorize", "unsafe-none"),
    ("GET", "/login?next=%2Foauth%2Fauthorize%3Fclient_id%3Dx", "unsafe-none"),
    ("GET", "/signup?next=/oauth/authorize", "unsafe-none"),
    ("POST", "/login", "unsafe-none"),
    ("GET", "/login", "same-origin"),
    ("GET", "/login?next=/settings", "same-origin"),
    ("GET", "/signup?next=https://elsewhere.example/oauth/authorize", "same-origin"),
    ("GET", "/", "same-origin"),
    ("GET", "/explore", "same-origin"),
    ("GET", "/settings", "same-origin"),
    ("GET", "/oauth/authorized_applications", "same-origin"),
    ("GET", "/api/v1/instance", "same-origin"),
    ("GET", "/nothing/here", "same-origin"),
]


async def test_only_the_popups_pages_keep_their_opener(client: httpx.AsyncClient) -> None:
    for method, path, policy in OPENER_POLICIES:
        response = await client.request(method, path)
        assert response.headers["cross-origin-opener-policy"] == policy, (method, path)
        # The rest of the site's protections stay on those pages too.
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
