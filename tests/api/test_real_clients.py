"""Real Mastodon clients against a running Agora: Mastodon.py (the library), toot (the
command line client), megalodon and masto.js (the JavaScript libraries, pinned in
tests/clients/package-lock.json), unmodified and unmocked, over HTTP to uvicorn."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mastodon import CallbackStreamListener, Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError, MastodonUnauthorizedError
from PIL import Image

from domain import accounts
from tests.conftest import run_async
from tests.helpers import PASSWORD

pytestmark = pytest.mark.serial

SCOPES = ["read", "write", "follow", "push"]
NODE_CLIENTS = Path(__file__).resolve().parent.parent / "clients"
CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the test reads the code from it


def make_user(username: str) -> int:
    async def create() -> int:
        return (await accounts.sign_up(username, username.title(), PASSWORD)).id

    return run_async(create)


def register(base_url: str, redirect_uris: str | None = None) -> tuple[str, str]:
    return Mastodon.create_app(
        "Agora test client", scopes=SCOPES, redirect_uris=redirect_uris, api_base_url=base_url
    )


def logged_in(base_url: str, username: str) -> Mastodon:
    """A Mastodon.py client logged in with the password grant."""
    client_id, client_secret = register(base_url)
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=base_url,
        version_check_mode="created",
        ratelimit_method="throw",
    )
    api.log_in(username, PASSWORD, scopes=SCOPES, allow_http=True)
    return api


def test_mastodon_py_sees_a_compatible_server(live_server: str) -> None:
    api = Mastodon(api_base_url=live_server, version_check_mode="created")
    assert api.retrieve_mastodon_version(fail_hard=True) == "4.3.0"
    assert api.mastodon_api_version == 2
    instance = api.instance()
    assert instance.version.startswith("4.3.0 (compatible; Agora")
    info = api.oauth_authorization_server_info()
    assert "password" in info.grant_types_supported


def test_mastodon_py_calls_what_mastodon_4_3_added(live_server: str) -> None:
    """Mastodon.py refuses (MastodonVersionError) a method newer than the server's version:
    these are 4.3.0's, so they run only if the claim holds, and must then work."""
    alice_id, bob_id, carol_id = make_user("alice"), make_user("bob"), make_user("carol")
    alice, bob, carol = (logged_in(live_server, name) for name in ("alice", "bob", "carol"))
    alice.account_follow(bob_id)
    bob.account_follow(carol_id)
    post = carol.status_post("Hello from Carol")
    assert [s.id for s in alice.statuses([post.id, "424242"])] == [post.id]
    assert [a.username for a in alice.accounts([carol_id, alice_id])] == ["carol", "alice"]
    [familiar] = alice.account_familiar_followers(carol_id)
    assert [a.username for a in familiar.accounts] == ["bob"]
    assert carol.notifications_unread_count().count == 0
    grouped = carol.grouped_notifications()
    assert grouped.notification_groups == [] and grouped.accounts == []
    assert carol.notifications_policy().for_new_accounts == "accept"


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """tests/clients with its pinned packages installed (`npm ci`, from the lock file)."""
    if not (NODE_CLIENTS / "node_modules" / "megalodon").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the JavaScript clients (scripts/setup.sh installs it)"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_CLIENTS, check=True, timeout=300
        )
    return NODE_CLIENTS


def test_megalodon_detects_a_mastodon_compatible_server(
    live_server: str, node_clients: Path
) -> None:
    """megalodon picks its client by NodeInfo (`detector`): Agora's says software `agora`,
    with Mastodon as the API it follows (`metadata.upstream`)."""
    node = shutil.which("node")
    assert node
    detected = subprocess.run(
        [node, "detect.mjs", live_server],
        cwd=node_clients,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert detected.returncode == 0, detected.stderr
    found = json.loads(detected.stdout)
    assert found["sns"] == "mastodon"
    assert found["version"].startswith("4.3.0 (compatible; Agora")
    assert found["title"] == "Agora"


def test_mastodon_py_posts_reads_and_pages_the_home_timeline(live_server: str) -> None:
    make_user("alice")
    api = logged_in(live_server, "alice")
    me = api.account_verify_credentials()
    assert me.username == "alice"
    posted = [api.status_post(f"Post number {n} #mastopy") for n in range(5)]
    assert posted[0].account.id == me.id and "#" in posted[0].content

    first = api.timeline_home(limit=2)
    assert [s.id for s in first] == [posted[4].id, posted[3].id]
    second = api.fetch_next(first)
    assert second is not None and [s.id for s in second] == [posted[2].id, posted[1].id]
    third = api.fetch_next(second)
    assert third is not None and [s.id for s in third] == [posted[0].id]
    assert api.fetch_next(third) is None
    newer = api.fetch_previous(second)
    assert newer is not None and [s.id for s in newer] == [posted[4].id, posted[3].id]
    assert [s.id for s in api.fetch_remaining(api.timeline_home(limit=2))] == [
        s.id for s in reversed(posted)
    ]
    assert [s.id for s in api.timeline_hashtag("mastopy", limit=40)] == [
        s.id for s in reversed(posted)
    ]
    assert len(api.timeline_public()) == 5


def test_mastodon_py_favourites_bookmarks_follows_and_threads(live_server: str) -> None:
    make_user("alice")
    bob_id = make_user("bob")
    alice = logged_in(live_server, "alice")
    bob = logged_in(live_server, "bob")
    post = bob.status_post("Bob says hello")

    relationship = alice.account_follow(bob_id)
    assert relationship.following is True and relationship.followed_by is False
    assert [r.following for r in alice.account_relationships([bob_id])] == [True]
    assert [s.id for s in alice.timeline_home()] == [post.id]
    assert [a.username for a in alice.account_following(alice.me().id)] == ["bob"]
    assert [a.username for a in bob.account_followers(bob_id)] == ["alice"]

    favourited = alice.status_favourite(post.id)
    assert favourited.favourited is True and favourited.favourites_count == 1
    assert [a.username for a in alice.status_favourited_by(post.id)] == ["alice"]
    assert [s.id for s in alice.favourites()] == [post.id]
    bookmarked = alice.status_bookmark(post)
    assert bookmarked.bookmarked is True
    assert [s.id for s in alice.bookmarks()] == [post.id]
    alice.status_unbookmark(post)
    assert alice.bookmarks() == []
    assert alice.status_unfavourite(post).favourited is False

    reply = alice.status_post("Hello Bob", in_reply_to_id=post)
    assert reply.in_reply_to_id == post.id and reply.id.startswith("c")
    answer = bob.status_reply(reply, "Hi Alice")
    assert answer.in_reply_to_id == reply.id
    context = alice.status_context(post)
    assert context.ancestors == []
    assert [s.id for s in context.descendants] == [reply.id, answer.id]
    inner = bob.status_context(answer)
    assert [s.id for s in inner.ancestors] == [post.id, reply.id]
    assert alice.status(reply.id).text == "Hello Bob"

    assert int(alice.account_lookup("bob").id) == bob_id
    assert alice.account_unfollow(bob_id).following is False
    updated = alice.account_update_credentials(display_name="Alice!", note="About me")
    assert updated.display_name == "Alice!" and updated.source.note == "About me"

    deleted = bob.status_delete(answer)
    assert deleted.text == "@alice Hi Alice"  # status_reply mentions whom it answers
    with pytest.raises(MastodonNotFoundError):
        bob.status(answer.id)


def test_mastodon_py_search(live_server: str) -> None:
    make_user("alice")
    api = logged_in(live_server, "alice")
    post = api.status_post("Searching for #needles in haystacks")
    found = api.search_v2("needles")
    assert [s.id for s in found.statuses] == [post.id]
    assert [t.name for t in found.hashtags] == ["needles"]
    assert [a.username for a in api.search_v2("ali", result_type="accounts").accounts] == ["alice"]


def test_mastodon_py_gets_clear_errors(live_server: str) -> None:
    make_user("alice")
    api = logged_in(live_server, "alice")
    with pytest.raises(MastodonAPIError) as too_long:
        api.status_post("x" * 501)
    assert too_long.value.args[1] == 422
    with pytest.raises(MastodonNotFoundError):
        api.status("424242")
    anonymous = Mastodon(api_base_url=live_server)
    with pytest.raises(MastodonUnauthorizedError):
        anonymous.timeline_home()


def test_mastodon_py_uploads_describes_and_posts_an_image(live_server: str, tmp_path: Path) -> None:
    make_user("erin")
    api = logged_in(live_server, "erin")
    path = tmp_path / "teal.png"
    Image.new("RGB", (120, 90), "teal").save(path)
    uploaded = api.media_post(str(path))
    described = api.media_update(uploaded, description="A teal rectangle")
    assert described.id == uploaded.id and described.description == "A teal rectangle"
    assert api.media(uploaded).description == "A teal rectangle"

    status = api.status_post("A picture #mastopy", media_ids=[uploaded])
    [attachment] = status.media_attachments
    assert attachment.type == "image" and attachment.description == "A teal rectangle"
    assert (attachment.meta.original.width, attachment.meta.original.height) == (120, 90)
    served = requests.get(attachment.url, timeout=10)
    assert served.status_code == 200
    with Image.open(io.BytesIO(served.content)) as image:  # re-encoded, so compare pixels
        assert image.size == (120, 90) and image.getpixel((5, 5)) == (0, 128, 128)
    assert api.timeline_home()[0].media_attachments[0].url == attachment.url

    second = api.media_post(str(path), description="Teal again")
    third = api.media_post(str(path), description="Teal once more")
    with pytest.raises(MastodonAPIError) as two_images:
        api.status_post("Two pictures", media_ids=[second, third])
    assert two_images.value.args[1] == 422 and "one image per post" in str(two_images.value)


def test_mastodon_py_idempotency_key(live_server: str) -> None:
    make_user("alice")
    api = logged_in(live_server, "alice")
    first = api.status_post("only once", idempotency_key="retry-1")
    again = api.status_post("only once", idempotency_key="retry-1")
    assert first.id == again.id
    assert len(api.timeline_home()) == 1


def test_mastodon_py_authorization_code_flow_and_revocation(live_server: str) -> None:
    make_user("carol")
    client_id, client_secret = register(live_server, redirect_uris=CALLBACK)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=live_server)
    url = api.auth_request_url(
        redirect_uris=CALLBACK, scopes=SCOPES, state="st4te", allow_http=True
    )
    # The person's part, as a browser does it: log in, then press "Authorize".
    browser = requests.Session()
    login_page = browser.get(url)
    assert "/login" in login_page.url
    csrf = browser.cookies["agora_csrf"]
    next_url = parse_qs(urlsplit(login_page.url).query)["next"][0]
    logged = browser.post(
        f"{live_server}/login",
        data={"username": "carol", "password": PASSWORD, "next": next_url, "_csrf_token": csrf},
    )
    assert "Authorize" in logged.text and "Agora test client" in logged.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', logged.text))
    fields["_csrf_token"] = browser.cookies["agora_csrf"]
    answer = browser.post(
        f"{live_server}/oauth/authorize", data={**fields, "decision": "authorize"}
    )
    assert answer.status_code == 200, answer.text
    target = answer.headers["Refresh"].split("url=", 1)[1]
    query = parse_qs(urlsplit(target).query)
    assert target.startswith(CALLBACK) and query["state"] == ["st4te"]

    api.log_in(code=query["code"][0], redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)
    assert api.me().username == "carol"
    token = api.access_token
    api.revoke_access_token(allow_http=True)
    revoked = Mastodon(access_token=token, api_base_url=live_server)
    with pytest.raises(MastodonUnauthorizedError):
        revoked.account_verify_credentials()


def toot(config_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "toot"), *args],
        env={**os.environ, "XDG_CONFIG_HOME": str(config_home), "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_toot_logs_in_and_posts(live_server: str, tmp_path: Path) -> None:
    make_user("dave")
    login = toot(tmp_path, "login_cli", "--instance", live_server, "--email", "dave",
                 "--password", PASSWORD)  # fmt: skip
    assert login.returncode == 0, login.stdout + login.stderr
    assert "Successfully logged in" in login.stdout
    whoami = toot(tmp_path, "whoami")
    assert whoami.returncode == 0, whoami.stdout + whoami.stderr
    assert "@dave" in whoami.stdout
    posted = toot(tmp_path, "post", "Hello from toot #cli")
    assert posted.returncode == 0, posted.stdout + posted.stderr
    match = re.search(r"Toot posted: (\S+)", posted.stdout)
    assert match and re.fullmatch(rf"{live_server}/@dave/\d+", match.group(1))
    timeline = toot(tmp_path, "timeline", "--once", "--count", "5")
    assert timeline.returncode == 0, timeline.stdout + timeline.stderr
    assert "Hello from toot" in timeline.stdout
    notifications = toot(tmp_path, "notifications")
    assert notifications.returncode == 0, notifications.stdout + notifications.stderr


# The streaming tests need the worker: the events come from the jobs it runs after commit.
STREAM_DELIVERY_SECONDS = 2.0


def next_event(
    received: queue.Queue[tuple[str, Any]], kind: str, wanted: Callable[[Any], bool]
) -> Any:
    """The first `kind` event that is `wanted` within STREAM_DELIVERY_SECONDS, skipping
    others (the reader's own post enters their home too, whenever its fan-out runs)."""
    deadline = time.monotonic() + STREAM_DELIVERY_SECONDS
    while True:
        name, payload = received.get(timeout=max(0.01, deadline - time.monotonic()))
        if name == kind and wanted(payload):
            return payload


@pytest.mark.usefixtures("live_worker")
def test_mastodon_py_stream_user_receives_an_update_and_a_notification(live_server: str) -> None:
    make_user("alice")
    bob_id = make_user("bob")
    alice, bob = logged_in(live_server, "alice"), logged_in(live_server, "bob")
    alice.account_follow(bob_id)
    mine = alice.status_post("Alice's post, written before the stream opens")
    received: queue.Queue[tuple[str, Any]] = queue.Queue()
    listener = CallbackStreamListener(  # type: ignore[no-untyped-call]
        update_handler=lambda status: received.put(("update", status)),
        notification_handler=lambda notification: received.put(("notification", notification)),
    )
    handle = alice.stream_user(listener, run_async=True)
    try:
        deadline = time.monotonic() + 5
        while not handle.is_receiving() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handle.is_receiving()
        started = time.monotonic()
        post = bob.status_post("Hello from Bob")
        status = next_event(received, "update", lambda status: status.id == post.id)
        assert status.account.username == "bob"
        assert time.monotonic() - started < STREAM_DELIVERY_SECONDS

        started = time.monotonic()
        bob.status_favourite(mine.id)
        notification = next_event(received, "notification", lambda _: True)
        assert (notification.type, notification.status.id) == ("favourite", mine.id)
        assert time.monotonic() - started < STREAM_DELIVERY_SECONDS
    finally:
        handle.close()


def next_line(lines: queue.Queue[str], event: str, item_id: str | None) -> dict[str, Any]:
    """The first line for `event` (and `item_id`, if given) within STREAM_DELIVERY_SECONDS,
    skipping others (late warm-up posts)."""
    deadline = time.monotonic() + STREAM_DELIVERY_SECONDS
    while True:
        found: dict[str, Any] = json.loads(
            lines.get(timeout=max(0.01, deadline - time.monotonic()))
        )
        if found["event"] == event and item_id in (None, found["id"]):
            return found


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines as they come, to wait for with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())

    threading.Thread(target=read, daemon=True).start()
    return lines


@pytest.mark.usefixtures("live_worker")
def test_masto_js_streaming_client_receives_an_update_and_a_notification(
    live_server: str, node_clients: Path
) -> None:
    """masto.js (pinned, with `ws` as its WebSocket on Node 20) finds the streaming URL in
    the v2 instance and sends its token as Sec-WebSocket-Protocol."""
    make_user("alice")
    bob_id = make_user("bob")
    alice, bob = logged_in(live_server, "alice"), logged_in(live_server, "bob")
    alice.account_follow(bob_id)
    node = shutil.which("node")
    assert node
    streaming = subprocess.Popen(
        [node, "stream.mjs", live_server, str(alice.access_token)],
        cwd=node_clients,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # an error message then stands where a line was expected
        text=True,
    )
    try:
        lines = lines_of(streaming)
        # The client connects in its own time: Alice's own posts, reaching her own stream,
        # show when it has (one posted before it connects is simply not heard).
        for attempt in range(15):
            mine = alice.status_post(f"Alice's post {attempt}")
            with contextlib.suppress(queue.Empty):
                assert json.loads(lines.get(timeout=1))["event"] == "update"
                break
        else:
            pytest.fail("masto.js heard nothing in 15 s")

        started = time.monotonic()
        post = bob.status_post("Hello from Bob")
        assert next_line(lines, "update", str(post.id))["id"] == str(post.id)
        assert time.monotonic() - started < STREAM_DELIVERY_SECONDS
        started = time.monotonic()
        bob.status_favourite(mine.id)
        assert next_line(lines, "notification", None)["type"] == "favourite"
        assert time.monotonic() - started < STREAM_DELIVERY_SECONDS
    finally:
        streaming.kill()
        streaming.wait()
