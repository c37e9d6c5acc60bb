"""Connections cut at random points of the upload and of the answer, against ``sunlight serve`` as
a process (killed once with SIGKILL and restarted halfway): every client retries with its
``Idempotency-Key`` (and resumes its tus upload from the server's offset) until it has an answer,
and in the end every record exists exactly once.

The client speaks HTTP/1.1 over a raw socket, so it can stop after any byte it sends or reads, and
close with a FIN or a reset. A cut in the request is an upload that broke off; a cut in the answer
(after the whole request was sent, possibly before the server even read it) is the case where the
record was made and the client cannot know.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.server import SunlightServer

pytestmark = pytest.mark.timeout(180)

TRIALS = 24
#: Attempts cut before one is let through whole.
MAX_CUTS = 4
TUS = {"Tus-Resumable": "1.0.0"}


class Cut(Exception):
    """The client cut the connection on purpose."""


@dataclass
class Stats:
    cuts_in_request: int = 0
    cuts_in_answer: int = 0
    resumes: int = 0
    replays: int = 0
    #: (trial, record id, file) of each answered trial.
    answers: list[tuple[int, str, bytes]] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        doc: dict[str, object] = json.loads(self.body)
        return doc


class CuttingClient:
    def __init__(self, server: SunlightServer, token: str, rng: random.Random) -> None:
        self.server = server
        self.auth = {"Authorization": f"Bearer {token}"}
        self.rng = rng
        self.stats = Stats()

    def _abort(self, sock: socket.socket) -> None:
        if self.rng.random() < 0.5:  # a reset rather than a FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def exchange(self, request: bytes, cut: bool) -> Answer:
        """Send ``request`` and read the answer; when ``cut``, stop at a random byte of one."""
        in_request = cut and self.rng.random() < 0.5
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=60) as sock:
            if in_request:
                sock.sendall(request[: self.rng.randrange(len(request))])
                self.stats.cuts_in_request += 1
                self._abort(sock)
                raise Cut
            sock.sendall(request)
            stop_at = self.rng.randrange(400) if cut else None
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
                if stop_at is not None and len(data) >= stop_at:
                    break
            if stop_at is not None:
                self.stats.cuts_in_answer += 1
                self._abort(sock)
                raise Cut
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        return Answer(int(lines[0].split()[1]), headers, body)

    def until_answered(self, make: Callable[[], bytes]) -> Answer:
        """Retry ``make()``'s request, cutting the first attempts at random, until answered."""
        for attempt in range(MAX_CUTS + 1):
            try:
                return self.exchange(make(), cut=attempt < MAX_CUTS and self.rng.random() < 0.7)
            except Cut:
                continue
        raise AssertionError("unreachable: the last attempt is never cut")

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in {**self.auth, **headers}.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def record(self, key: str, fields: dict[str, str], file: bytes | None) -> Answer:
        boundary = f"cut{self.rng.getrandbits(64):016x}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        body = "".join(parts).encode()
        if file is not None:
            body += (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.bin"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n"
                ).encode()
                + file
                + b"\r\n"
            )
        body += f"--{boundary}--\r\n".encode()
        headers = {
            "Idempotency-Key": f'"{key}"',
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        answer = self.until_answered(lambda: self.request("POST", "/v1/records", headers, body))
        assert answer.status == 201, answer.body
        self.stats.replays += answer.headers.get("idempotent-replayed") == "true"
        return answer

    def tus_upload(self, data: bytes) -> str:
        """Upload ``data`` with tus, each PATCH sending all that is left, cut at random."""
        created = self.until_answered(
            lambda: self.request("POST", "/v1/uploads", {**TUS, "Upload-Length": str(len(data))})
        )
        assert created.status == 201, created.body
        url = created.headers["location"]
        offset = 0
        while offset < len(data):
            headers = {
                **TUS,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            }
            try:
                cut = self.rng.random() < 0.7
                answer = self.exchange(self.request("PATCH", url, headers, data[offset:]), cut)
                assert answer.status == 204, answer.body
            except Cut:
                self.stats.resumes += 1
            head = self.until_answered(lambda: self.request("HEAD", url, TUS))
            assert head.status == 200, head
            offset = int(head.headers["upload-offset"])
        return url.rsplit("/", 1)[1]


def test_cut_connections_leave_every_record_exactly_once(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    server = SunlightServer(tmp_path / "data").start()
    try:
        client = CuttingClient(server, server.add_submitter("field-office"), rng)
        size_before = server.health()["log_size"]
        started = time.monotonic()
        for trial in range(TRIALS):
            if trial == TRIALS // 2:
                server.kill()
                server.start()
            data = rng.randbytes(rng.randrange(1, 400_000))
            meta = json.dumps({"kind": "site_video", "data": {"trial": trial}})
            if trial % 2:
                upload_id = client.tus_upload(data)
                fields = {"meta": meta, "upload_id": upload_id}
                answer = client.record(f"trial-{trial}", fields, None)
            else:
                answer = client.record(f"trial-{trial}", {"meta": meta}, data)
            client.stats.answers.append((trial, str(answer.json()["id"]), data))
        elapsed = time.monotonic() - started

        stats = client.stats
        print(f"seed {seed}: {TRIALS} records in {elapsed:.1f} s, {stats}")
        assert stats.cuts_in_request and stats.cuts_in_answer and stats.resumes, stats
        assert server.health()["log_size"] == size_before + TRIALS, f"seed {seed}"
        with httpx.Client(base_url=server.url, headers=client.auth, timeout=30) as http:
            for trial, record_id, data in stats.answers:
                found = http.post("/v1/verify", json={"sha256": hashlib.sha256(data).hexdigest()})
                records = found.json()["records"]
                assert [r["id"] for r in records] == [record_id], f"seed {seed}, trial {trial}"
                assert records[0]["record"]["data"] == {"trial": trial}
                assert http.get(f"/v1/records/{record_id}/file").content == data
    finally:
        server.stop()
