"""A 3 MiB upload over a slow village link: time against the link's raw transfer time (target
at most 1.2 times), sent whole (multipart ``POST /v1/records``), as a tus upload (one PATCH, or 1 MiB PATCHes)
then made a record, and as a tus upload whose connection drops halfway and resumes.

The link is an asyncio TCP proxy in this process: ``UPLINK`` bytes per second towards the server,
``DOWNLINK`` back, ``LATENCY_S`` each way. The raw transfer time is the upload's size over
``UPLINK``: what the bytes alone take, with no HTTP, no latency, no server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from api.run.process import running_server
from bench._util import OUT, figure, header
from tests.support.net import free_port

SIZE = 3 * 2**20
UPLINK = 1 * 2**20  # bytes per second: 8 Mbit/s
DOWNLINK = 4 * 2**20
LATENCY_S = 0.04  # one way: 80 ms round trips
PIECE = 16 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


class Link:
    """A throttled TCP proxy to ``target_port``. Once :meth:`drop_after` is called, the connection
    that carries that many more bytes towards the server is dropped there."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.cut_after: int | None = None
        self.carried = 0
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port)
        )
        self._ready.set()
        with contextlib.closing(server):
            self.loop.run_forever()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        up = asyncio.ensure_future(_pipe(client_r, server_w, UPLINK, self))
        down = asyncio.ensure_future(_pipe(server_r, client_w, DOWNLINK, None))
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
        dropped = up.done() and up.result()
        if not dropped:
            await asyncio.wait([up, down])
        for writer in (client_w, server_w):
            writer.transport.abort() if dropped else writer.close()

    def drop_after(self, n: int) -> None:
        self.carried, self.cut_after = 0, n

    def dropping(self, n: int) -> bool:
        """Count ``n`` more bytes towards the server; True when the link drops them."""
        if self.cut_after is None:
            return False
        self.carried += n
        if self.carried > self.cut_after:
            self.cut_after = None
            return True
        return False


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rate: float, link: Link | None
) -> bool:
    """Copy at ``rate`` bytes per second, each piece delivered ``LATENCY_S`` after it is sent;
    True when ``link`` dropped the connection."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            at, piece = await queue.get()
            await asyncio.sleep(max(0.0, at - loop.time()))
            if not piece:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(piece)
            await writer.drain()

    delivering = asyncio.ensure_future(deliver())
    free_at = loop.time()
    try:
        while piece := await reader.read(PIECE):
            if link is not None and link.dropping(len(piece)):
                await asyncio.sleep(max(0.0, free_at - loop.time()) + LATENCY_S * 2)
                return True  # what was sent arrives, the rest never does
            free_at = max(free_at, loop.time()) + len(piece) / rate
            await asyncio.sleep(max(0.0, free_at - loop.time()))
            queue.put_nowait((free_at + LATENCY_S, piece))
        queue.put_nowait((free_at + LATENCY_S, b""))
        await delivering
    except (ConnectionError, OSError):
        pass
    finally:
        delivering.cancel()
    return False


def _token(base: str, admin: str) -> str:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}) as c:
        party = {"id": "village", "name": "Village", "kind": "organisation", "roles": ["submitter"]}
        assert c.post("/v1/parties", json=party).status_code == 201
        return str(c.post("/v1/parties/village/tokens").json()["token"])


def _record(c: httpx.Client, fields: dict[str, str], file: bytes | None = None) -> None:
    files = {"file": ("site.mp4", file, "video/mp4")} if file is not None else None
    headers = {"Idempotency-Key": secrets.token_hex(8)}
    r = c.post("/v1/records", headers=headers, data=fields, files=files)
    assert r.status_code == 201, r.text


def _tus(c: httpx.Client, data: bytes, chunk: int, link: Link | None = None) -> tuple[str, int]:
    """Upload ``data`` with tus in ``chunk``-byte PATCHes; with ``link``, the first PATCH's
    connection drops halfway and the upload resumes. Returns the upload id and bytes sent."""
    r = c.post("/v1/uploads", headers={**TUS, "Upload-Length": str(len(data))})
    url, offset, sent = r.headers["location"], 0, 0
    if link is not None:
        link.drop_after(len(data) // 2)
    while offset < len(data):
        piece = data[offset : offset + chunk]
        headers = {**TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS}
        sent += len(piece)
        try:
            answer = c.patch(url, headers=headers, content=piece)
            offset = int(answer.headers["upload-offset"])
        except httpx.TransportError:  # dropped: ask the server how far it got
            offset = int(c.head(url, headers=TUS).headers["upload-offset"])
    return url.rsplit("/", 1)[1], sent


def _runs(data: bytes, link: Link) -> Iterator[tuple[str, Callable[[httpx.Client], int]]]:
    meta = json.dumps({"kind": "site_video"})

    def whole(c: httpx.Client) -> int:
        _record(c, {"meta": meta}, data)
        return len(data)

    def tus(chunk: int, cut: bool) -> Callable[[httpx.Client], int]:
        def run(c: httpx.Client) -> int:
            upload_id, sent = _tus(c, data, chunk, link if cut else None)
            _record(c, {"meta": meta, "upload_id": upload_id})
            return sent

        return run

    yield "multipart POST /v1/records", whole
    yield "tus: 1 PATCH, then POST /v1/records upload_id", tus(len(data), cut=False)
    yield "tus: 1 MiB PATCHes, then the record", tus(2**20, cut=False)
    yield "tus: dropped at 50%, HEAD, resumed, record", tus(len(data), cut=True)


def main() -> None:
    header(
        f"uploads: {SIZE / 2**20:.0f} MiB over a {UPLINK * 8 / 1e6:.1f} Mbit/s uplink, "
        f"{LATENCY_S * 2000:.0f} ms round trips"
    )
    raw = SIZE / UPLINK
    figure("raw transfer time (size / uplink)", f"{raw:.2f} s")
    data = secrets.token_bytes(SIZE)
    admin = "bench-" + secrets.token_hex(20)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp) / "data", admin, OUT / "bench_uploads-server.log") as (_, base),
    ):
        token = _token(base, admin)
        link = Link(int(base.rsplit(":", 1)[1]))
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{link.port}", headers=auth, timeout=120) as c:
            for name, run in _runs(data, link):
                start = time.perf_counter()
                sent = run(c)
                elapsed = time.perf_counter() - start
                note = f"{elapsed / raw:.2f}x raw; {sent / SIZE:.2f}x the bytes offered"
                figure(name, f"{elapsed:.2f} s", note)
        link.loop.call_soon_threadsafe(link.loop.stop)


if __name__ == "__main__":
    main()
