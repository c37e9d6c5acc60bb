"""``Idempotency-Key`` on ``POST /v1/records`` against ``sunlight serve`` as a process: the same key
and body get the original answer and receipt, another body a 409, another party its own record;
and the keys survive the server being killed (SIGKILL) and restarted, for a file sent whole and
for one sent as a resumable (tus) upload. The key is written in the append's transaction, so
they cannot be lost while their records stay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.storage.idempotency import IdempotencyClaim, IdempotencyStore, KeyReplay
from api.storage.log import LogStore
from notary.errors import LogError
from notary.records import Record
from tests.support.server import SunlightServer

pytestmark = pytest.mark.timeout(240)

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SunlightServer]:
    running = SunlightServer(tmp_path_factory.mktemp("idem") / "data").start()
    try:
        running.add_submitter("township")
        running.add_submitter("contractor")
        yield running
    finally:
        running.stop()


def post(
    server: SunlightServer, who: str, key: str, meta: dict[str, Any], file: bytes | None
) -> httpx.Response:
    files = {"file": ("photo.jpg", file, "image/jpeg")} if file is not None else None
    return httpx.post(
        f"{server.url}/v1/records",
        headers={**server.auth(who), "Idempotency-Key": f'"{key}"'},
        data={"meta": json.dumps(meta)},
        files=files,
        timeout=30,
    )


def tus_upload(server: SunlightServer, who: str, data: bytes) -> str:
    """Upload ``data`` in two pieces; return the upload's id."""
    auth = {**server.auth(who), **TUS}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as c:
        r = c.post("/v1/uploads", headers={"Upload-Length": str(len(data))})
        assert r.status_code == 201, r.text
        url = r.headers["location"]
        half = len(data) // 2
        for start, piece in ((0, data[:half]), (half, data[half:])):
            octets = {
                "Upload-Offset": str(start),
                "Content-Type": "application/offset+octet-stream",
            }
            assert c.patch(url, headers=octets, content=piece).status_code == 204
    return str(url).rsplit("/", 1)[1]


def post_upload(server: SunlightServer, who: str, key: str, upload_id: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/records",
        headers={**server.auth(who), "Idempotency-Key": key},
        data={"meta": json.dumps({"kind": "site_video"}), "upload_id": upload_id},
        timeout=30,
    )


def log_size(server: SunlightServer) -> int:
    return int(server.health()["log_size"])


def test_same_key_same_body_gets_the_original_answer_and_receipt(server: SunlightServer) -> None:
    meta = {"kind": "site_photo", "data": {"n": 1}}
    first = post(server, "township", "same-1", meta, b"north culvert")
    size = log_size(server)
    again = post(server, "township", "same-1", meta, b"north culvert")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()  # id, leaf, and the receipt's signature byte for byte
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert log_size(server) == size


def test_same_key_another_body_is_a_conflict(server: SunlightServer) -> None:
    meta = {"kind": "site_photo"}
    assert post(server, "township", "other-1", meta, b"one file").status_code == 201
    size = log_size(server)
    for other_meta, other_file in ((meta, b"another file"), ({"kind": "contract"}, b"one file")):
        r = post(server, "township", "other-1", other_meta, other_file)
        assert r.status_code == 409 and r.json()["error"] == "idempotency_key_reused", r.text
    assert log_size(server) == size


def test_another_party_with_the_same_key_is_independent(server: SunlightServer) -> None:
    meta = {"kind": "site_photo"}
    mine = post(server, "township", "party-1", meta, b"the same file")
    theirs = post(server, "contractor", "party-1", meta, b"the same file")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    record = httpx.get(f"{server.url}/v1/records/{theirs.json()['id']}", timeout=30).json()
    assert record["record"]["submitter"] == "contractor"


def test_keys_survive_a_killed_and_restarted_server(server: SunlightServer) -> None:
    meta = {"kind": "site_photo", "data": {"n": 2}}
    first = post(server, "township", "restart-1", meta, b"before the crash")
    video = tus_upload(server, "township", b"v" * 300_000)
    made = post_upload(server, "township", "restart-2", video)
    assert first.status_code == made.status_code == 201, made.text
    size = log_size(server)
    server.kill()
    server.start()
    again = post(server, "township", "restart-1", meta, b"before the crash")
    assert again.status_code == 201 and again.json() == first.json()
    # The upload was consumed by its record; the key alone answers the retry.
    replayed = post_upload(server, "township", "restart-2", video)
    assert replayed.status_code == 201 and replayed.json() == made.json()
    assert post(server, "township", "restart-1", meta, b"changed").status_code == 409
    assert log_size(server) == size


def test_a_key_is_stored_with_its_record_or_not_at_all(tmp_path: Path) -> None:
    """One transaction: a record refused in the append stores no key; a key taken in the same
    append by an earlier record answers the later one with the earlier record."""
    log = LogStore.open(f"sqlite:///{tmp_path / 'log.db'}")
    keys = IdempotencyStore(log.engine)
    claim = IdempotencyClaim("township", "k", b"\x01" * 32)
    stale = _record(prev="00" * 32)
    out = log.append([("r-stale", stale)], isolate_failures=True, claims={"r-stale": claim})
    assert isinstance(out[0], LogError) and keys.find("township", "k") is None
    both = log.append(
        [("r1", _record()), ("r2", _record())],
        isolate_failures=True,
        claims={"r1": claim, "r2": claim},
    )
    assert both[0].record_id == "r1"  # type: ignore[union-attr]
    assert isinstance(both[1], KeyReplay) and both[1].record_id == "r1"
    stored = keys.find("township", "k")
    assert stored is not None and stored.record_id == "r1"
    assert log.size == 1
    assert keys.expire("0000") == 0 and keys.expire("9999") == 1
    assert keys.find("township", "k") is None
    log.close()


def _record(prev: str | None = None) -> Record:
    return Record.model_validate(
        {
            "project": "XQ-1",
            "kind": "document",
            "submitter": "township",
            "prev": prev,
            "received_at": "2026-11-23T00:01:03.000000Z",
        }
    )
