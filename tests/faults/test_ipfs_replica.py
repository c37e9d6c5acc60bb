"""Files survive the loss of one organisation's storage: ``sunlight serve`` on this organisation's
Kubo node with a second organisation's node as replica. The replica is down for the first half of
the uploads and gets them when it returns (the background replicator); then the first node is
killed and every public file is still served, from the replica, its CID checked; private files
never reached the replica. ``sunlight blobs check`` says so file by file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.storage.blobs.kubo_rpc import KuboRpc
from tests.conftest import require
from tests.support.kubo import KuboDaemon, kubo_binary
from tests.support.net import free_port
from tests.support.server import SunlightServer, cli, submit

pytestmark = pytest.mark.timeout(240)

KEK = "ab" * 32
FILES = 24  # public; and one private file for every three public ones


def upload(client: httpx.Client, i: int) -> tuple[str, bytes, bool]:
    """Record ``i`` with a file: public, or private for every fourth; up to 5 chunks."""
    private = i % 4 == 3
    content = f"site photo {i} of the north culvert ".encode() * (1500 * (i % 9 + 1))
    meta = {"kind": "site_photo", "data": {"i": i}, **({"public": False} if private else {})}
    r = submit(client, meta, content, f"p{i}.jpg")
    assert r.status_code == 201, r.text
    return r.json()["id"], content, private


def test_every_public_file_served_from_the_replica_with_the_first_node_killed(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    binary = kubo_binary()
    require(binary is not None, "the Kubo (ipfs) binary")
    assert binary is not None
    nodes = {name: KuboDaemon(binary, repo=tmp_path / f"ipfs-{name}") for name in ("a", "b")}
    server: SunlightServer | None = None
    try:
        for node in nodes.values():
            node.pin_api_port(free_port())
            node.start()
        primary, replica = nodes["a"], nodes["b"]
        data = tmp_path / "data"
        settings: dict[str, Any] = {
            "ipfs_api": primary.api_url,
            "ipfs_replicas": replica.api_url,
            "blob_kek": KEK,
        }
        server = SunlightServer(
            data, anchor_interval_s=3600, replicate_interval_s=0.5, **settings
        ).start()
        server.add_submitter("contractor")
        client = httpx.Client(base_url=server.url, headers=server.auth("contractor"), timeout=60)

        replica.kill()  # the other organisation's node is down for the first half
        stored = [upload(client, i) for i in range(FILES * 4 // 3 // 2)]
        while_down = sum(not is_private for _, _, is_private in stored)
        replica.start()
        stored += [upload(client, i) for i in range(len(stored), FILES * 4 // 3)]
        cids = {
            rid: client.get(f"/v1/records/{rid}").json()["record"]["content"]["cid"]
            for rid, _, _ in stored
        }
        public = [(rid, body) for rid, body, private in stored if not private]
        private = [rid for rid, _, is_private in stored if is_private]
        assert len(public) == FILES

        on_replica = KuboRpc(replica.api_url)
        started = time.monotonic()
        deadline = started + 30
        while not all(on_replica.pinned(cids[rid]) for rid, _ in public):
            assert time.monotonic() < deadline, "the replicator did not catch up"
            time.sleep(0.2)
        caught_up_s = time.monotonic() - started
        assert not any(on_replica.pinned(cids[rid]) for rid in private)
        on_replica.close()

        primary.kill()  # this organisation's storage is lost
        served = 0
        for rid, body in public:
            r = client.get(f"/v1/records/{rid}/file")
            assert r.status_code == 200 and r.content == body, (r.status_code, rid)
            served += 1
        for rid in private:
            r = client.get(f"/v1/records/{rid}/file")
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "blob_store_unavailable"
        client.close()
        server.stop()
        server = None

        check = cli("blobs", "check", data_dir=data, **settings)
        assert check.returncode != 0, check.stdout
        assert check.stdout.count(f"{primary.api_url} unreachable, {replica.api_url} present") == (
            FILES
        ), check.stdout
        primary.start()
        check = cli("blobs", "check", data_dir=data, **settings)
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.count("REPLICATED ") == FILES
        assert check.stdout.count("PRIVATE ") == len(private)
        assert (
            f"{FILES} of {FILES} public files on all 2 nodes, 0 under-replicated, "
            f"{len(private)} private (primary only), 0 leaked, 0 lost"
        ) in check.stdout
    finally:
        if server is not None:
            server.stop()
        for node in nodes.values():
            node.cleanup()

    figures = {
        "public_files_stored": len(public),
        "public_files_replicated": len(public),
        "public_stored_while_replica_down": while_down,
        "replicator_caught_up_s": round(caught_up_s, 1),
        "served_with_first_node_killed": served,
        "private_files_on_replica": 0,
        "lost": 0,
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\nIPFS replica: {figures}")
