"""`sunlight blobs check [--repair]` with a replica (two real Kubo nodes): one line per file naming
the nodes that hold it, a non-zero exit while a public file is under-replicated or a private one
is on a replica, and the repair of both."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.blobs import blobs_app
from api.storage.blobs import ReplicatedBlobStore, open_blob_store
from api.storage.blobs.kubo_rpc import KuboRpc
from tests.integration.blobs.conftest import KEK
from tests.integration.blobs.test_cli_blobs import make_log
from tests.support.kubo import KuboDaemon

runner = CliRunner()


def check(*args: str) -> tuple[int, str]:
    result = runner.invoke(blobs_app, ["check", *args])
    return result.exit_code, re.sub(r"\s+", " ", result.output)


def test_check_reports_each_file_and_repairs_replication(
    kubo_pair: tuple[KuboDaemon, KuboDaemon], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary, replica = kubo_pair
    data_dir = tmp_path / "data"
    for name, value in {
        "DATA_DIR": str(data_dir),
        "BLOB_KEK": KEK.hex(),
        "IPFS_API": primary.api_url,
        "IPFS_REPLICAS": replica.api_url,
    }.items():
        monkeypatch.setenv(f"SUNLIGHT_{name}", value)
    monkeypatch.delenv("SUNLIGHT_DATABASE_URL", raising=False)

    replica.stop()  # down while the files are written
    store = open_blob_store(
        data_dir=data_dir, ipfs_api=primary.api_url, kek=KEK, replicas=[replica.api_url]
    )
    assert isinstance(store, ReplicatedBlobStore)
    public = [store.put(io.BytesIO(f"notice {i}".encode() * 5000)) for i in range(3)]
    secret = store.put(io.BytesIO(b"bank account of the contractor"), private=True)
    store.close()
    make_log(data_dir, [(b.cid, b.sha256) for b in [*public, secret]])
    replica.start()

    code, out = check()
    assert code == 1, out
    for info in public:
        assert (
            f"UNDER-REPLICATED {info.cid} 1/2: {primary.api_url} present, {replica.api_url} missing"
        ) in out
    assert f"PRIVATE {secret.cid} 1/2" in out
    assert "0 of 3 public files on all 2 nodes, 3 under-replicated, 1 private" in out
    assert "check FAILED" in out and "not replicated" in out

    code, out = check("--repair")
    assert code == 0, out
    assert "repaired 3" in out
    assert "3 of 3 public files on all 2 nodes, 0 under-replicated" in out and "0 queued" in out
    for info in public:
        assert f"REPLICATED {info.cid} 2/2" in out

    # The first organisation's node loses a file: reads still work, check fails, repair restores.
    lost = public[0].cid
    with_primary = KuboRpc(primary.api_url)
    with_primary.remove(lost)
    code, out = check()
    assert code == 1, out
    assert (
        f"UNDER-REPLICATED {lost} 1/2: {primary.api_url} missing, {replica.api_url} present" in out
    )
    assert "4 blobs checked, 4 ok" in out  # its content checked from the replica's copy
    code, out = check("--repair")
    assert code == 0 and "repaired 1" in out, out
    assert with_primary.pinned(lost)
    with_primary.close()

    # A private file's ciphertext on the other organisation's node is a leak; repair removes it.
    with_replica = KuboRpc(replica.api_url)
    own = open_blob_store(data_dir=data_dir, ipfs_api=primary.api_url, kek=KEK)
    with own.open_stored(secret.cid) as f:
        assert with_replica.add([f.read()]) == secret.cid
    own.close()
    code, out = check()
    assert code == 1 and f"LEAKED {secret.cid} 2/2" in out and "1 leaked" in out, out
    code, out = check("--repair")
    assert code == 0, out
    assert not with_replica.pinned(secret.cid)
    with_replica.close()

    primary.stop()
    code, out = check()
    assert f"{primary.api_url} unreachable, {replica.api_url} present" in out
    assert code != 0, out
