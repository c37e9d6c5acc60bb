"""The IPFS blob store against a real Kubo node: same CIDs as the node, streaming, failures."""

from __future__ import annotations

import hashlib
import io
import random
import threading
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from api.storage.blobs import KuboBlobStore, LocalBlobStore
from api.storage.blobs.ops import check_blobs, erase_blob, migrate_blobs
from notary.blobs import BlobStore
from notary.cid import CHUNK_SIZE, cid_of
from notary.errors import (
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreUnavailable,
    BlobTooLargeError,
)
from tests.integration.blobs.conftest import KEK
from tests.support.kubo import KuboDaemon

K = CHUNK_SIZE
SIZES = {
    "0B": 0,
    "1B": 1,
    "256KiB-1": K - 1,
    "256KiB": K,
    "256KiB+1": K + 1,
    "174x256KiB": 174 * K,
    "174x256KiB+1": 174 * K + 1,
    "50MiB": 50 * 1024 * 1024 + 12345,
}


def content(size: int, seed: object) -> bytes:
    return random.Random(f"{seed}:{size}").randbytes(size)


def node_add_default(kubo: KuboDaemon, data: bytes) -> str:
    """What the node gives for `ipfs add --cid-version=1` with nothing else specified."""
    response = httpx.post(
        f"{kubo.api_url}/api/v0/add",
        params={"cid-version": "1", "only-hash": "true", "quieter": "true"},
        files={"file": ("f", data, "application/octet-stream")},
        timeout=120,
    )
    response.raise_for_status()
    return str(response.json()["Hash"])


def pinned(kubo: KuboDaemon) -> set[str]:
    response = httpx.post(f"{kubo.api_url}/api/v0/pin/ls", params={"type": "recursive"})
    response.raise_for_status()
    return set(response.json().get("Keys", {}))


def has_block(kubo: KuboDaemon, cid: str) -> bool:
    response = httpx.post(
        f"{kubo.api_url}/api/v0/block/stat", params={"arg": cid, "offline": "true"}, timeout=10
    )
    return response.status_code == 200


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_cid_of_equals_the_node(kubo: KuboDaemon, kubo_store: KuboBlobStore, size: int) -> None:
    data = content(size, "cid")
    expected = cid_of(data)
    # put() itself refuses a CID that differs from the node's; the default import agrees too.
    info = kubo_store.put(io.BytesIO(data))
    assert info.cid == expected
    assert node_add_default(kubo, data) == expected
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.cid in pinned(kubo)


def test_is_a_blob_store(kubo_store: KuboBlobStore) -> None:
    assert isinstance(kubo_store, BlobStore)


def test_round_trip(kubo_store: KuboBlobStore) -> None:
    data = content(3 * K + 5, "rt")
    info = kubo_store.put(io.BytesIO(data))
    assert kubo_store.has(info.cid)
    assert kubo_store.stat(info.cid) == info
    with kubo_store.open(info.cid) as f:
        assert f.read() == data
    with kubo_store.open_stored(info.cid) as f:
        got = bytearray()
        while chunk := f.read(1000):
            got += chunk
        assert bytes(got) == data
    assert list(kubo_store.iter_cids()) == [info.cid]


def test_private_round_trip(kubo_store: KuboBlobStore, tmp_path: Path) -> None:
    data = content(2 * 1024 * 1024 + 3, "private")
    info = kubo_store.put(io.BytesIO(data), private=True)
    assert info.encrypted and info.cid != cid_of(data)
    with kubo_store.open(info.cid) as f:
        assert f.read() == data
    with kubo_store.open_stored(info.cid) as f:
        assert cid_of(f.read()) == info.cid
    assert node_add_default_size(kubo_store, info.cid) == info.size


def node_add_default_size(store: KuboBlobStore, cid: str) -> int:
    response = httpx.post(f"{store.api_url}/api/v0/files/stat", params={"arg": f"/ipfs/{cid}"})
    response.raise_for_status()
    return int(response.json()["Size"])


def test_missing(kubo_store: KuboBlobStore) -> None:
    cid = cid_of(b"never added anywhere")
    assert not kubo_store.has(cid)
    with pytest.raises(BlobNotFoundError):
        kubo_store.open(cid)


def test_too_large_pins_and_records_nothing(kubo: KuboDaemon, tmp_path: Path) -> None:
    before = pinned(kubo)
    with KuboBlobStore(kubo.api_url, meta_dir=tmp_path / "meta", max_bytes=5 * K) as store:
        with pytest.raises(BlobTooLargeError):
            store.put(io.BytesIO(content(5 * K + 1, "big")))
        assert list(store.iter_cids()) == []
    assert pinned(kubo) == before
    assert not any((tmp_path / "meta").rglob("*.json"))


def test_node_stopped(kubo_binary_path: Path, tmp_path: Path) -> None:
    daemon = KuboDaemon(kubo_binary_path)
    try:
        daemon.start()
        url = daemon.api_url
        with KuboBlobStore(url, meta_dir=tmp_path / "meta") as store:
            store.put(io.BytesIO(b"while up"))
            daemon.stop()
            with pytest.raises(
                BlobStoreUnavailable, match=r"IPFS node at .* is unavailable"
            ) as exc:
                store.put(io.BytesIO(content(3 * K, "down")))
            assert url in str(exc.value) and "SUNLIGHT_IPFS_API" in str(exc.value)
            assert [p.name for p in (tmp_path / "meta").rglob("*.json")] == [
                cid_of(b"while up") + ".json"
            ]
            with pytest.raises(BlobStoreUnavailable):
                store.open(cid_of(b"while up"))
    finally:
        daemon.cleanup()


def test_node_killed_mid_upload(kubo_binary_path: Path, tmp_path: Path) -> None:
    daemon = KuboDaemon(kubo_binary_path)
    try:
        daemon.start()

        class DyingStream(io.RawIOBase):
            """Gives 64 MiB, killing the node after the first 8 MiB."""

            def __init__(self) -> None:
                self.sent = 0

            def readable(self) -> bool:
                return True

            def readinto(self, b: bytearray) -> int:  # type: ignore[override]
                if self.sent >= 64 * 1024 * 1024:
                    return 0
                if self.sent >= 8 * 1024 * 1024 and daemon.pid is not None:
                    threading.Thread(target=daemon.kill).start()
                n = len(b)
                b[:n] = bytes(n)
                self.sent += n
                return n

        with KuboBlobStore(daemon.api_url, meta_dir=tmp_path / "meta") as store:
            with pytest.raises(BlobStoreUnavailable):
                store.put(DyingStream())  # type: ignore[arg-type]
            assert not any((tmp_path / "meta").rglob("*.json"))
    finally:
        daemon.cleanup()


def test_nothing_listening(tmp_path: Path) -> None:
    with KuboBlobStore("http://127.0.0.1:9", meta_dir=tmp_path / "meta") as store:
        with pytest.raises(BlobStoreUnavailable, match=r"127\.0\.0\.1:9"):
            store.put(io.BytesIO(b"x"))
        with pytest.raises(BlobStoreUnavailable):
            store.has(cid_of(b"x"))


class MisconfiguredStore(KuboBlobStore):
    """A node importing with other parameters than notary.cid assumes."""

    add_params: ClassVar[dict[str, str]] = {**KuboBlobStore.add_params, "chunker": "size-1024"}


def test_cid_mismatch_records_nothing(kubo: KuboDaemon, tmp_path: Path) -> None:
    data = content(3 * K, "mismatch")
    with (
        MisconfiguredStore(kubo.api_url, meta_dir=tmp_path / "meta") as store,
        pytest.raises(BlobIntegrityError, match="nothing was recorded"),
    ):
        store.put(io.BytesIO(data))
    assert not any((tmp_path / "meta").rglob("*.json"))
    wrong = httpx.post(
        f"{kubo.api_url}/api/v0/add",
        params={"cid-version": "1", "chunker": "size-1024", "only-hash": "true"},
        files={"file": ("f", data)},
    ).json()["Hash"]
    assert wrong not in pinned(kubo)


def flatfs_file(kubo: KuboDaemon, block: bytes) -> Path:
    for path in (kubo.repo / "blocks").rglob("*.data"):
        if path.stat().st_size == len(block) and path.read_bytes() == block:
            return path
    raise AssertionError("block not found in the node's flatfs")


def test_tampered_block_on_the_node(kubo: KuboDaemon, kubo_store: KuboBlobStore) -> None:
    data = content(K // 2, "tamper")
    info = kubo_store.put(io.BytesIO(data))
    path = flatfs_file(kubo, data)
    raw = bytearray(data)
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with (
        pytest.raises(BlobIntegrityError, match="the IPFS node holds bytes"),
        kubo_store.open(info.cid) as f,
    ):
        f.read()
    report = check_blobs(kubo_store, [(info.cid, info.sha256)])
    assert [(p.cid, p.kind) for p in report.problems] == [(info.cid, "corrupt")]


def test_migrate_check_erase(kubo: KuboDaemon, local_store: LocalBlobStore, tmp_path: Path) -> None:
    public = content(K + 9, "mig-public")
    secret = content(3 * 1024 * 1024, "mig-private")
    gone = content(100, "mig-erased")
    a = local_store.put(io.BytesIO(public))
    b = local_store.put(io.BytesIO(secret), private=True)
    c = local_store.put(io.BytesIO(gone))
    local_store.erase(c.cid, reason="court order 7")

    with KuboBlobStore(kubo.api_url, meta_dir=tmp_path / "blob-meta", kek=KEK) as ipfs:
        report = migrate_blobs(local_store, ipfs)
        assert sorted(report.copied) == sorted([a.cid, b.cid])
        assert report.tombstones == [c.cid]
        assert {a.cid, b.cid} <= pinned(kubo)
        assert ipfs.stat(a.cid) == a and ipfs.stat(b.cid) == b
        with ipfs.open(b.cid) as f:
            assert f.read() == secret
        with pytest.raises(BlobErasedError, match="court order 7"):
            ipfs.open(c.cid)
        # migrating again is idempotent, and can remove the local copies
        again = migrate_blobs(local_store, ipfs, remove_local=True)
        assert sorted(again.removed_local) == sorted([a.cid, b.cid])
        assert list(local_store.iter_cids()) == []

        expected = [(a.cid, a.sha256), (b.cid, b.sha256), (c.cid, c.sha256)]
        healthy = check_blobs(ipfs, expected)
        assert healthy.healthy and healthy.ok == 2 and healthy.erased == [c.cid]

        bad = check_blobs(
            ipfs,
            [(a.cid, "00" * 32), (cid_of(b"not there"), None), (b.cid, b.sha256), ("Qm1", None)],
        )
        assert [(p.cid, p.kind) for p in bad.problems] == [
            (a.cid, "mismatch"),
            (cid_of(b"not there"), "missing"),
            ("Qm1", "invalid_cid"),
        ]

        stone = erase_blob(ipfs, a.cid, reason="GDPR request 3")
        assert stone.sha256 == a.sha256
        assert a.cid not in pinned(kubo)
        assert not has_block(kubo, a.cid)
        with pytest.raises(BlobErasedError, match="GDPR request 3"):
            ipfs.open(a.cid)
        assert not ipfs.has(a.cid)
        after = check_blobs(ipfs, expected)
        assert after.healthy and sorted(after.erased) == sorted([a.cid, c.cid])


def test_erase_removes_every_block(kubo: KuboDaemon, kubo_store: KuboBlobStore) -> None:
    data = content(3 * K + 1, "erase-blocks")
    info = kubo_store.put(io.BytesIO(data))
    leaves = [cid_of(data[i : i + K]) for i in range(0, len(data), K)]
    assert all(has_block(kubo, leaf) for leaf in leaves)
    kubo_store.erase(info.cid, reason="takedown")
    assert not has_block(kubo, info.cid)
    assert not any(has_block(kubo, leaf) for leaf in leaves)
    with pytest.raises(BlobErasedError):
        kubo_store.put(io.BytesIO(data))
    assert info.cid not in pinned(kubo)
