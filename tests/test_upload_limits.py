"""No upload can take the web process's memory (issue 10, item 4).

The nastiest files Pillow (or a few lines of struct) can make: GIFs of many large frames, a GIF
whose later frames grow its canvas, a tiny PNG declaring a huge canvas, a real PNG of 64
megapixels that compresses to a few hundred kilobytes, APNG and WebP of many frames. Each is
refused with a message naming the limit it broke, or decoded in a limited child process; a child
that runs out of memory or CPU time is a 422, never a 500, and fails alone. Finally uvicorn serves
the app as in production while all of them are uploaded at once, through the compose form and
the API, and the web process's resident memory is watched throughout.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from PIL import Image

from domain import media
from domain.core.errors import ValidationFailed
from domain.media import isolation
from tests.api.helpers import caller
from tests.browser.conftest import serving
from tests.helpers import csrf_token, failure_page, sign_up

pytestmark = pytest.mark.serial

RSS_LIMIT_MB = 300
FRAMES_OVER = f"That image has more than {media.MAX_GIF_FRAMES} frames."

# ---------------------------------------------------------------- the nasty files


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def flat_png(width: int, height: int) -> bytes:
    """A real, valid black RGB PNG, compressed row by row so that making it costs no memory:
    6300 x 6300 (39.7 megapixels) is 115 KB, the issue's example."""
    squeeze = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte, then black pixels
    idat = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        (_chunk(b"IHDR", header), _chunk(b"IDAT", idat), _chunk(b"IEND", b""))
    )


def png_claiming(width: int, height: int) -> bytes:
    """A 1 x 1 PNG whose header declares `width` x `height`: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes(4))
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        (_chunk(b"IHDR", header), _chunk(b"IDAT", pixels), _chunk(b"IEND", b""))
    )


def _gif_pixels(width: int, height: int, colour: int) -> bytes:
    """The LZW data (code size and sub-blocks) of a one-colour frame, as Pillow writes it."""
    out = io.BytesIO()
    Image.new("P", (width, height), colour).save(out, "GIF")
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as written:
        start = written.tile[0][2]
    return data[start - 1 : -1]  # from the code size byte to before the trailer


def gif(canvas: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> bytes:
    """An animated GIF of frames at `boxes` (x, y, width, height), black and white in turn, on
    a canvas the header declares `canvas`; a box beyond it makes Pillow enlarge the canvas when
    it gets there."""
    sizes = {(w, h) for _, _, w, h in boxes}
    pixels = {(*size, colour): _gif_pixels(*size, colour) for size in sizes for colour in (0, 1)}
    parts = [
        b"GIF89a",
        struct.pack("<HHBBB", *canvas, 0x80, 0, 0),  # a global table of two colours
        b"\0\0\0\xff\xff\xff",
        b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00",  # loop forever
    ]
    for index, (x, y, w, h) in enumerate(boxes):
        parts.append(b"!\xf9\x04\x00\x05\x00\x00\x00")  # 50 ms
        parts.append(b"," + struct.pack("<HHHHB", x, y, w, h, 0) + pixels[(w, h, index % 2)])
    return b"".join([*parts, b";"])


def animated(fmt: str, size: tuple[int, int], count: int) -> bytes:
    """An animation Pillow writes: a dot moving over a black field (no two frames alike)."""

    def frames() -> Iterator[Image.Image]:
        for index in range(count):
            frame = Image.new("L", size, 0)
            frame.putpixel((index % size[0], index // size[0]), 255)
            yield frame

    sequence = frames()
    out = io.BytesIO()
    first = next(sequence)
    first.save(out, fmt, save_all=True, append_images=list(sequence), duration=40, loop=0)
    return out.getvalue()


FULL_CANVAS = (0, 0, 1500, 1500)
# Each file's maker, and the message it is refused with (None: it is accepted).
NASTY: dict[str, tuple[Callable[[], bytes], str | None]] = {
    # The 544 KB GIF: 190 frames of 1500 x 1500, 427 megapixels in all.
    "gif 190 frames of 1500x1500": (
        lambda: gif((1500, 1500), [FULL_CANVAS] * 190),
        media.TOO_MANY_IN_ALL,
    ),
    # 100 x 100 by its header; from the second frame on, 6000 x 6000 (36 megapixels a frame).
    "gif whose frames grow the canvas": (
        lambda: gif((100, 100), [(0, 0, 1, 1)] + [(5999, 5999, 1, 1)] * 199),
        media.TOO_MANY_IN_ALL,
    ),
    "gif of 201 tiny frames": (lambda: gif((4, 4), [(0, 0, 4, 4)] * 201), FRAMES_OVER),
    "png claiming 30000x30000": (lambda: png_claiming(30_000, 30_000), media.TOO_MANY_PIXELS),
    "png of 8000x8000, real": (lambda: flat_png(8000, 8000), media.TOO_MANY_PIXELS),
    "apng of 110 frames of 1000x1000": (
        lambda: animated("PNG", (1000, 1000), 110),
        media.TOO_MANY_IN_ALL,
    ),
    "webp of 110 frames of 1000x1000": (
        lambda: animated("WEBP", (1000, 1000), 110),
        media.TOO_MANY_IN_ALL,
    ),
    # The 115 KB PNG of 39.7 megapixels, just under the frame limit: accepted.
    "png of 6300x6300": (lambda: flat_png(6300, 6300), None),
}
REFUSALS = {name: refusal for name, (_, refusal) in NASTY.items() if refusal is not None}


@pytest.fixture(scope="module")
def nasty_files() -> dict[str, bytes]:
    return {name: make() for name, (make, _) in NASTY.items()}


# ---------------------------------------------------------------- the rules, in the domain


@pytest.mark.parametrize("name", sorted(REFUSALS))
async def test_each_nasty_file_is_refused_naming_its_limit(
    name: str, nasty_files: dict[str, bytes]
) -> None:
    data = nasty_files[name]
    assert len(data) < 1024 * 1024  # small files all: the size limit is not what stops them
    with pytest.raises(ValidationFailed) as refused:
        await media.verify_upload(data, "file")
    assert refused.value.errors == {"file": REFUSALS[name]}


@pytest.mark.parametrize(
    "make",
    [
        lambda: flat_png(3000, 3000)[:20_000],
        lambda: gif((300, 300), [(0, 0, 300, 300)] * 20)[:3_000],
        lambda: animated("WEBP", (300, 300), 20)[:500],
    ],
    ids=["png", "gif", "webp"],
)
async def test_a_file_cut_short_is_not_an_image(make: Callable[[], bytes]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await media.verify_upload(make(), "file")
    assert refused.value.errors == {"file": media.NOT_AN_IMAGE}


async def test_the_messages_name_the_limits() -> None:
    assert media.TOO_MANY_PIXELS.endswith("The limit is 40 megapixels.")
    assert "The limit is 100 megapixels counting every frame" in media.TOO_MANY_IN_ALL


async def test_an_animation_up_to_the_budget_is_accepted() -> None:
    # 100 frames of 1000 x 1000: exactly the budget, and it stays animated.
    budget = gif((1000, 1000), [(0, 0, 1000, 1000)] * 100)
    animation = await media.verify_upload(budget, "file")
    with Image.open(io.BytesIO(animation.data)) as saved:
        assert (saved.format, saved.size) == ("GIF", (1000, 1000))
        assert getattr(saved, "n_frames", 1) == 100
    # One frame more is over it, refused from the header alone.
    with pytest.raises(ValidationFailed) as refused:
        await media.verify_upload(gif((1000, 1000), [(0, 0, 1000, 1000)] * 101), "file")
    assert refused.value.errors == {"file": media.TOO_MANY_IN_ALL}


async def test_an_apng_or_webp_within_the_budget_is_accepted() -> None:
    for fmt, ext in (("PNG", "png"), ("WEBP", "webp")):
        image = await media.verify_upload(animated(fmt, (100, 100), 150), "file")
        assert (image.ext, image.width, image.height) == (ext, 100, 100)


# ---------------------------------------------------------------- the child process


async def test_a_child_out_of_memory_fails_alone_and_the_next_job_runs() -> None:
    four_gigabytes = 4 * 1024 * 1024 * 1024
    greedy, innocent = await asyncio.gather(
        isolation.run_isolated(bytearray, four_gigabytes),
        isolation.run_isolated(len, b"fine"),
        return_exceptions=True,
    )
    assert isinstance(greedy, isolation.OverLimit)
    assert innocent == 4
    assert await isolation.run_isolated(len, b"again") == 5


async def test_a_child_out_of_cpu_time_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "CPU_LIMIT_SECONDS", 1)
    started = time.perf_counter()
    with pytest.raises(isolation.OverLimit):
        await isolation.run_isolated(sum, range(10**12))  # minutes of work
    assert time.perf_counter() - started < 60  # one second of CPU, on a busy machine
    assert await isolation.run_isolated(len, b"next") == 4


async def test_an_image_too_costly_to_decode_is_a_422_on_the_page_and_the_api(
    app: Litestar,
    client: httpx.AsyncClient,
    nasty_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A child too small for a 39.7-megapixel picture stands for any decode that overruns.
    monkeypatch.setattr(isolation, "MEMORY_LIMIT_BYTES", 150 * 1024 * 1024)
    data = nasty_files["png of 6300x6300"]
    assert (await sign_up(client, "alice")).status_code == 303
    page = await failure_page(
        client,
        await client.post(
            "/posts",
            data={"text": "Big", "image_alt": "Black", "_csrf_token": await csrf_token(client)},
            files={"image": ("big.png", data, "image/png")},
        ),
    )
    assert page.status_code == 422
    assert f'id="error-image">{media.TOO_COSTLY}</p>' in page.text
    api = await caller(client, "bob")
    answer = await api.post("/api/v2/media", files={"file": ("big.png", data, "image/png")})
    assert answer.status_code == 422
    assert answer.json() == {"error": f"Validation failed: {media.TOO_COSTLY}"}


async def test_thumbnails_of_a_large_image_are_made_in_a_child(
    nasty_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = media.save(await media.verify_upload(nasty_files["png of 6300x6300"], "file"))
    made = await asyncio.to_thread(media.make_thumbnails, url, ["feed", "avatar"])
    assert made == [url.replace("/media/", f"/media/{kind}/") for kind in ("feed", "avatar")]
    for kind, size in (("feed", (640, 640)), ("avatar", (96, 96))):
        with Image.open(media.media_dir() / kind / url.removeprefix("/media/")) as thumbnail:
            assert thumbnail.size == size

    # An image its child cannot afford gets no thumbnails: pages keep showing the original.
    other = media.save(media.CleanImage(flat_png(6000, 6000), "png", 6000, 6000))
    monkeypatch.setattr(isolation, "MEMORY_LIMIT_BYTES", 150 * 1024 * 1024)
    assert await asyncio.to_thread(media.make_thumbnails, other, ["feed"]) == []
    shown = media.shown(other, "feed")
    assert shown is not None and shown.url == other


# ---------------------------------------------------------------- the web process, under fire


@dataclass
class WebProcess:
    url: str
    pid: int
    log: Path

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        [line] = [line for line in status.splitlines() if line.startswith("VmRSS:")]
        return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def web_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    """uvicorn serving the app as the Procfile does; its pid is the web process's."""
    log = tmp_path_factory.mktemp("web") / "uvicorn.log"
    with (
        log.open("wb") as output,
        serving({"OUTBOX_SWEEP_SECONDS": "3600"}, output, stop_seconds=30) as server,
    ):
        yield WebProcess(server.url, server.process.pid, log)


class Sampler:
    """Reads the web process's resident memory every few milliseconds while it runs."""

    def __init__(self, web: WebProcess) -> None:
        self.web, self.peak_mb, self._stop = web, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.web.rss_mb())
            time.sleep(0.005)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


Answer = tuple[int, str, float]  # status, body, seconds taken


def check(route: str, name: str, answer: Answer) -> None:
    """Accepted files are posted (form: 303) or stored (API: 200); the others get a 422 with
    the message for their limit, next to the field or in the API's JSON error."""
    status, body, _ = answer
    refusal = REFUSALS.get(name)
    if refusal is None:
        assert status == (303 if route == "form" else 200), (route, name, body)
    elif route == "form":
        assert status == 422 and f'id="error-image">{refusal}</p>' in body, (name, body)
    else:
        assert status == 422, (name, body)
        assert json.loads(body) == {"error": f"Validation failed: {refusal}"}, (name, body)


async def test_the_web_process_stays_small_whatever_is_uploaded(
    app: Litestar, web_process: WebProcess, nasty_files: dict[str, bytes]
) -> None:
    async with (
        httpx.AsyncClient(base_url=web_process.url, timeout=120) as page_client,
        httpx.AsyncClient(base_url=web_process.url, timeout=120) as api_client,
    ):
        assert (await sign_up(page_client, "alice")).status_code == 303
        token = await csrf_token(page_client)
        api = await caller(api_client, "bob")

        async def upload(route: str, name: str) -> Answer:
            started = time.perf_counter()
            chosen = ("nasty", nasty_files[name], "application/octet-stream")
            if route == "form":
                fields = {"text": name, "image_alt": "Nasty", "_csrf_token": token}
                response = await page_client.post("/posts", data=fields, files={"image": chosen})
                if "failed=" in response.headers.get("location", ""):
                    response = await failure_page(page_client, response)
            else:
                response = await api.post(
                    "/api/v2/media", data={"description": "Nasty"}, files={"file": chosen}
                )
            return response.status_code, response.text, time.perf_counter() - started

        before = web_process.rss_mb()
        with Sampler(web_process) as sampler:
            alone = {name: await upload("form", name) for name in nasty_files}
            routes = [(route, name) for route in ("form", "api") for name in nasty_files]
            at_once = await asyncio.gather(*(upload(route, name) for route, name in routes))
        after = web_process.rss_mb()

    print(f"\nweb RSS (MB): {before:.0f} before, {sampler.peak_mb:.0f} peak, {after:.0f} after")
    for name, (status, _, seconds) in alone.items():
        print(f"  alone    form {name:34} {status}  {seconds:5.2f} s")
    for (route, name), (status, _, seconds) in zip(routes, at_once, strict=True):
        print(f"  at once  {route:4} {name:34} {status}  {seconds:5.2f} s")
    for name, answer in alone.items():
        check("form", name, answer)
    for (route, name), answer in zip(routes, at_once, strict=True):
        check(route, name, answer)
    assert sampler.peak_mb < RSS_LIMIT_MB
    assert after < RSS_LIMIT_MB
    assert "Traceback" not in web_process.log.read_text()
