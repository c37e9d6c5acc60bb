"""The IPFS (Kubo) node stopped under ``sunlight serve``: uploads answer 503
``blob_store_unavailable`` and append nothing, records without files are still accepted; once the
node is back on the same API port, uploads work again and the blobs stored before read back."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import require
from tests.faults.load import Writers, check_stored, duplicates
from tests.support.kubo import KuboDaemon, kubo_binary
from tests.support.net import free_port
from tests.support.server import SunlightServer, cli, submit

pytestmark = pytest.mark.timeout(240)

OUTAGE_S = 3.0


def test_ipfs_node_down_uploads_refused_cleanly_and_work_again_after_restart(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    binary = kubo_binary()
    require(binary is not None, "the Kubo (ipfs) binary")
    assert binary is not None
    kubo = KuboDaemon(binary, repo=tmp_path / "ipfs")
    # The daemon's API port is tcp/0 by default, a new one at each start: pin it, so the server
    # configured with it finds the node again after the restart.
    kubo.pin_api_port(free_port())
    server: SunlightServer | None = None
    try:
        kubo.start()
        url_before = kubo.api_url
        data = tmp_path / "data"
        server = SunlightServer(data, ipfs_api=kubo.api_url, anchor_interval_s=3600).start()
        token = server.add_submitter("contractor")
        client = httpx.Client(base_url=server.url, headers=server.auth("contractor"), timeout=60)
        before: dict[str, bytes] = {}
        for i in range(5):
            body = f"site photo {i} ".encode() * (4000 * (i + 1))  # up to 5 chunks of 256 KiB
            r = submit(client, {"kind": "site_photo", "data": {"i": i}}, body, f"p{i}.jpg")
            assert r.status_code == 201, r.text
            before[r.json()["id"]] = body
        size_before = server.health()["log_size"]

        # Uploads and data-only records keep coming while the node is down.
        uploads = Writers(server.url, token, count=3, file_every=1, retry_s=0.02).start()
        plain = Writers(server.url, token, count=2).start()
        time.sleep(0.5)
        kubo.kill()  # as a crash would
        down_at = time.monotonic()
        refused = submit(client, {"kind": "site_photo"}, b"while the node is down")
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "blob_store_unavailable", refused.text
        old = next(iter(before))
        fetch = client.get(f"/v1/records/{old}/file")
        assert fetch.status_code == 503 and fetch.json()["error"] == "blob_store_unavailable"
        plain_at_kill = plain.acked_count
        time.sleep(OUTAGE_S)
        assert plain.acked_count > plain_at_kill + 10, "data-only records stopped with IPFS"
        upload_errors_down = sum(uploads.errors.values())
        assert upload_errors_down > 0

        kubo.start()
        assert kubo.api_url == url_before
        outage_s = time.monotonic() - down_at
        acked_at_restart = uploads.acked_count
        deadline = time.monotonic() + 30
        while uploads.acked_count < acked_at_restart + 20:
            assert time.monotonic() < deadline, "uploads did not resume after the node came back"
            time.sleep(0.1)
        uploads.stop()
        plain.stop()

        unexpected = {
            k: n
            for w in (uploads, plain)
            for k, n in w.errors.items()
            if k != "http:503:blob_store_unavailable"
        }
        assert not unexpected, f"{unexpected} {uploads.bodies} {plain.bodies}"
        assert not plain.errors, "a record without a file failed while IPFS was down"
        acked = uploads.acked + plain.acked
        assert not duplicates(acked)
        # Nothing was appended for a refused upload: the log holds exactly what was acknowledged.
        size = server.health()["log_size"]
        assert size == size_before + len(acked), (size, size_before, len(acked))
        assert not check_stored(server.url, token, acked)
        for record_id, body in before.items():
            back = client.get(f"/v1/records/{record_id}/file")
            assert back.status_code == 200 and back.content == body, back.status_code
        for ack in uploads.acked[-5:]:  # uploaded after the restart, read back too
            back = client.get(f"/v1/records/{ack.id}/file")
            assert back.status_code == 200 and back.content.startswith(b"writer ")
        client.close()
    finally:
        if server is not None:
            server.stop()
        try:
            check = cli("blobs", "check", data_dir=tmp_path / "data", ipfs_api=kubo.api_url)
            audit = cli("audit", data_dir=tmp_path / "data")
        finally:
            kubo.cleanup()
    assert check.returncode == 0 and "check passed" in check.stdout, check.stdout + check.stderr
    assert audit.returncode == 0 and "audit passed" in audit.stdout, audit.stdout + audit.stderr

    figures = {
        "acknowledged": len(acked),
        "uploads_acknowledged": uploads.acked_count,
        "uploads_refused_503": uploads.errors["http:503:blob_store_unavailable"],
        "data_only_acknowledged": plain.acked_count,
        "log_size": size,
        "lost": 0,
        "outage_s": round(outage_s, 1),
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\nIPFS node down: {figures}")
