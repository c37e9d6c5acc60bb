"""The local blob store: CIDs, atomic writes, tampering, size limit, private blobs, erasure."""

from __future__ import annotations

import base64
import ctypes
import errno
import hashlib
import io
import os
from pathlib import Path

import pytest

import api.storage.blobs.durability as durability
from api.settings import Settings
from api.storage.blobs import (
    SEGMENT_SIZE,
    KuboBlobStore,
    LocalBlobStore,
    SegmentDecryptor,
    SegmentEncryptor,
    blob_store_from_settings,
    kek_id,
    open_blob_store,
    parse_kek,
)
from notary.blobs import BlobStore
from notary.cid import CHUNK_SIZE, cid_of
from notary.errors import (
    BlobDecryptionError,
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreUnavailable,
    BlobTooLargeError,
    InvalidCidError,
    KeyMaterialError,
    NotaryError,
    StorageFullError,
)
from tests.support.reference_cid import pattern

KEK = bytes(range(32))
OTHER_KEK = bytes(range(1, 33))


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", kek=KEK, max_bytes=8 * 1024 * 1024, sm3=True)


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_is_a_blob_store(store: LocalBlobStore, tmp_path: Path) -> None:
    assert isinstance(store, BlobStore)
    assert isinstance(open_blob_store(data_dir=tmp_path), LocalBlobStore)
    kubo = blob_store_from_settings(Settings(data_dir=tmp_path, ipfs_api="http://127.0.0.1:5001"))
    assert isinstance(kubo, KuboBlobStore) and not kubo.can_decrypt


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 17])
def test_put_returns_digests_and_the_cid(store: LocalBlobStore, size: int) -> None:
    data = pattern(size, seed=size)
    info = store.put(io.BytesIO(data))
    assert info.cid == cid_of(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.sm3 is not None and len(info.sm3) == 64
    assert info.size == info.content_size == size
    assert not info.encrypted
    assert store.has(info.cid)
    assert store.stat(info.cid) == info
    with store.open(info.cid) as f:
        assert f.read() == data
    with store.open_stored(info.cid) as f:
        assert f.read() == data
    assert list(store.iter_cids()) == [info.cid]


def test_layout_on_disk(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"hello"))
    cid = info.cid
    blob = store.root / cid[-5:-3] / cid[-3:-1] / cid
    assert blob.read_bytes() == b"hello"
    assert blob.with_name(cid + ".json").exists()
    assert list((store.root / ".tmp").iterdir()) == []


def test_same_content_twice_is_one_blob(store: LocalBlobStore) -> None:
    a = store.put(io.BytesIO(b"same"))
    b = store.put(io.BytesIO(b"same"))
    assert a == b
    assert list(store.iter_cids()) == [a.cid]


def test_tampered_blob_is_detected_on_read(store: LocalBlobStore) -> None:
    data = pattern(CHUNK_SIZE + 100)
    info = store.put(io.BytesIO(data))
    path = store.path(info.cid)
    raw = bytearray(path.read_bytes())
    raw[CHUNK_SIZE + 5] ^= 0x01
    path.write_bytes(bytes(raw))
    with (
        pytest.raises(BlobIntegrityError, match=f"blob {info.cid} is corrupt"),
        store.open(info.cid) as f,
    ):
        f.read()


def test_truncated_blob_is_detected_on_read(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"0123456789"))
    store.path(info.cid).write_bytes(b"01234")
    with pytest.raises(BlobIntegrityError), store.open_stored(info.cid) as f:
        f.read()


def test_missing_blob(store: LocalBlobStore) -> None:
    cid = cid_of(b"never stored")
    assert not store.has(cid)
    with pytest.raises(BlobNotFoundError):
        store.open(cid)
    with pytest.raises(BlobNotFoundError):
        store.stat(cid)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "bafk", "", "QmYwAPJzv5CZsnA"])
def test_bad_cids_are_refused_before_touching_the_disk(store: LocalBlobStore, bad: str) -> None:
    with pytest.raises(InvalidCidError):
        store.open(bad)
    with pytest.raises(InvalidCidError):
        store.has(bad)


def test_too_large_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs", max_bytes=1000)
    with pytest.raises(BlobTooLargeError, match="1000 bytes"):
        store.put(io.BytesIO(b"x" * 1001))
    assert [p for p in files_under(store.root)] == []
    assert store.put(io.BytesIO(b"x" * 1000)).size == 1000


def test_failed_upload_leaves_nothing(store: LocalBlobStore) -> None:
    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            if self.sent > 3 * CHUNK_SIZE:
                raise OSError("client went away")
            n = len(b)
            b[:n] = b"a" * n
            self.sent += n
            return n

    with pytest.raises(OSError, match="client went away"):
        store.put(Broken())  # type: ignore[arg-type]
    assert files_under(store.root) == []


def test_interrupted_write_is_never_visible(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between writing and renaming leaves only a temporary file, never a blob."""
    data = pattern(1000)

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.put(io.BytesIO(data))
    monkeypatch.undo()
    assert not store.has(cid_of(data))
    assert list((store.root / ".tmp").iterdir()) == []


def test_bytes_without_sidecar_are_rehashed(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"orphan"))
    store.path(info.cid).with_name(info.cid + ".json").unlink()
    again = store.stat(info.cid)
    assert again.sha256 == info.sha256 and again.cid == info.cid


# --- private blobs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE]
)
def test_private_round_trip(store: LocalBlobStore, size: int) -> None:
    data = pattern(size, seed=7)
    info = store.put(io.BytesIO(data), private=True)
    assert info.encrypted and info.encryption is not None
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.content_size == size
    stored = store.path(info.cid).read_bytes()
    assert info.cid == cid_of(stored)
    assert info.size == len(stored)
    assert data[:64] not in stored or size < 16  # a few bytes may occur by chance
    with store.open(info.cid) as f:
        assert f.read() == data
    with store.open_stored(info.cid) as f:
        assert f.read() == stored


def test_private_needs_a_kek(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(KeyMaterialError, match="SUNLIGHT_BLOB_KEK"):
        store.put(io.BytesIO(b"secret"), private=True)


def test_private_same_content_gets_different_cids(store: LocalBlobStore) -> None:
    a = store.put(io.BytesIO(b"secret"), private=True)
    b = store.put(io.BytesIO(b"secret"), private=True)
    assert a.cid != b.cid and a.sha256 == b.sha256


def test_wrong_kek_fails_clearly(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"secret"), private=True)
    other = LocalBlobStore(store.root, kek=OTHER_KEK)
    with pytest.raises(BlobDecryptionError, match="wrong SUNLIGHT_BLOB_KEK"):
        other.open(info.cid)
    no_key = LocalBlobStore(store.root)
    with pytest.raises(KeyMaterialError, match="private"):
        no_key.open(info.cid)
    # the stored (encrypted) bytes are still available, and still verified
    with no_key.open_stored(info.cid) as f:
        assert cid_of(f.read()) == info.cid


def test_wrong_kek_with_forged_kek_id_fails_on_unwrap(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"secret"), private=True)
    sidecar = store.path(info.cid).with_name(info.cid + ".json")
    sidecar.write_text(sidecar.read_text().replace(kek_id(KEK), kek_id(OTHER_KEK)))
    other = LocalBlobStore(store.root, kek=OTHER_KEK)
    with pytest.raises(BlobDecryptionError, match="does not unwrap"):
        other.open(info.cid)


def encrypt(data: bytes, key: bytes, segment: int = 16) -> bytes:
    enc = SegmentEncryptor(key, segment_size=segment)
    return enc.update(data) + enc.finalize()


def decrypt(blob: bytes, key: bytes) -> bytes:
    dec = SegmentDecryptor(key)
    return dec.update(blob) + dec.finalize()


KEY = bytes(32)


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 32, 33, 100])
def test_segments_round_trip(size: int) -> None:
    data = pattern(size)
    assert decrypt(encrypt(data, KEY), KEY) == data


def segments(blob: bytes, segment: int = 16) -> tuple[bytes, list[bytes]]:
    header, rest = blob[:20], blob[20:]
    step = segment + 16
    return header, [rest[i : i + step] for i in range(0, len(rest), step)]


@pytest.mark.parametrize(
    ("name", "mutate"),
    [
        ("truncated-at-segment-boundary", lambda h, s: h + b"".join(s[:-1])),
        ("truncated-mid-segment", lambda h, s: h + b"".join(s)[:-5]),
        ("final-segment-dropped-and-empty", lambda h, s: h),
        ("segments-swapped", lambda h, s: h + s[1] + s[0] + b"".join(s[2:])),
        ("segment-duplicated", lambda h, s: h + s[0] + b"".join(s)),
        ("trailing-garbage", lambda h, s: h + b"".join(s) + b"\x00"),
        ("bit-flip-in-body", lambda h, s: h + bytes([s[0][0] ^ 1]) + s[0][1:] + b"".join(s[1:])),
        ("bit-flip-in-tag", lambda h, s: h + s[0][:-1] + bytes([s[0][-1] ^ 1]) + b"".join(s[1:])),
        ("header-nonce-changed", lambda h, s: h[:12] + bytes([h[12] ^ 1]) + h[13:] + b"".join(s)),
        ("header-segment-size-changed", lambda h, s: h[:11] + b"\x20" + h[12:] + b"".join(s)),
        ("bad-magic", lambda h, s: b"X" + h[1:] + b"".join(s)),
        ("empty", lambda h, s: b""),
    ],
)
def test_tampered_ciphertext_fails(name: str, mutate: object) -> None:
    data = pattern(60)  # 4 segments of 16 bytes: 16, 16, 16, 12
    header, segs = segments(encrypt(data, KEY))
    assert len(segs) == 4
    bad = mutate(header, segs)  # type: ignore[operator]
    with pytest.raises(BlobDecryptionError):
        decrypt(bad, KEY)


def test_tampered_private_blob_in_store_fails(store: LocalBlobStore) -> None:
    data = pattern(SEGMENT_SIZE * 2 + 5)
    info = store.put(io.BytesIO(data), private=True)
    path = store.path(info.cid)
    raw = path.read_bytes()
    # Cut the last segment and fix nothing else: the CID check catches it first...
    path.write_bytes(raw[: 20 + 2 * (SEGMENT_SIZE + 16)])
    with pytest.raises(BlobIntegrityError), store.open(info.cid) as f:
        f.read()


def test_parse_kek() -> None:
    assert parse_kek(KEK.hex()) == KEK
    assert parse_kek(base64.b64encode(KEK).decode()) == KEK
    assert parse_kek(base64.urlsafe_b64encode(KEK).decode().rstrip("=")) == KEK
    for bad in ["", "abcd", "zz" * 32, KEK.hex()[:-2]]:
        with pytest.raises(KeyMaterialError):
            parse_kek(bad)


# --- erasure -------------------------------------------------------------------------------------


def test_erase_leaves_a_tombstone(store: LocalBlobStore) -> None:
    data = b"personal data"
    info = store.put(io.BytesIO(data))
    stone = store.erase(info.cid, reason="GDPR art. 17 request #12")
    assert stone.reason == "GDPR art. 17 request #12" and stone.sha256 == info.sha256
    assert not store.has(info.cid)
    assert not store.path(info.cid).exists()
    for read in (store.open, store.stat, store.open_stored):
        with pytest.raises(BlobErasedError, match="GDPR art\\. 17 request #12") as exc:
            read(info.cid)
        assert isinstance(exc.value, NotaryError)
    assert store.tombstone(info.cid) == stone
    assert list(store.iter_cids()) == []
    assert list(store.iter_tombstones()) == [stone]
    # erasing again is harmless and keeps the first tombstone
    assert store.erase(info.cid, reason="again") == stone
    # the same content cannot come back
    with pytest.raises(BlobErasedError):
        store.put(io.BytesIO(data))
    assert not store.has(info.cid)


def test_erase_private_drops_the_key(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"secret"), private=True)
    store.erase(info.cid, reason="takedown")
    sidecar = store.path(info.cid).with_name(info.cid + ".json").read_text()
    assert "wrapped_key" not in sidecar


def test_erase_needs_a_reason_and_a_blob(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"x"))
    with pytest.raises(NotaryError, match="reason"):
        store.erase(info.cid, reason="  ")
    with pytest.raises(BlobNotFoundError):
        store.erase(cid_of(b"nope"), reason="r")


def test_a_store_whose_directories_were_removed_makes_them_again(store: LocalBlobStore) -> None:
    import shutil

    first = store.put(io.BytesIO(b"before"))
    shutil.rmtree(store.root)  # e.g. an operator clearing a test deployment while it runs
    again = store.put(io.BytesIO(b"before"))
    assert again.cid == first.cid and store.open(again.cid).read() == b"before"
    assert store.put(io.BytesIO(b"after")).size == 5


# --- put(sync=False), then one sync for many ------------------------------------------------------


def _fsynced_paths(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record the path behind every fsync (the real fsync still runs)."""
    synced: list[Path] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_an_unsynced_put_is_readable_and_sync_flushes_the_file_system_once(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_syncfs = durability._syncfs
    assert real_syncfs is not None, "Linux has syncfs"
    calls: list[int] = []

    def syncfs(fd: int) -> int:
        calls.append(fd)
        return real_syncfs(fd)

    monkeypatch.setattr(durability, "_syncfs", syncfs)
    synced = _fsynced_paths(monkeypatch)
    infos = [store.put(io.BytesIO(b"photo %d" % i), sync=False) for i in range(3)]
    assert synced == []  # nothing flushed yet
    for i, info in enumerate(infos):
        assert store.open(info.cid).read() == b"photo %d" % i
    store.sync()
    assert len(calls) == 1  # one flush for the three
    store.sync()
    assert len(calls) == 1  # nothing new to flush
    store.put(io.BytesIO(b"durable at once"))
    assert len(calls) == 1 and synced  # sync=True keeps its own fsyncs


def test_without_syncfs_sync_fsyncs_each_file_and_directory(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durability, "_syncfs", None)
    synced = _fsynced_paths(monkeypatch)
    info = store.put(io.BytesIO(b"field photo"), sync=False)
    assert synced == []
    store.sync()
    blob = store.path(info.cid)
    assert set(synced) == {blob, blob.with_name(f"{info.cid}.json"), blob.parent}


@pytest.mark.parametrize(
    ("code", "error"), [(errno.EIO, BlobStoreUnavailable), (errno.ENOSPC, StorageFullError)]
)
def test_a_failed_sync_is_reported(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch, code: int, error: type[Exception]
) -> None:
    def failing_syncfs(fd: int) -> int:  # a disk error cannot be caused for real here
        ctypes.set_errno(code)
        return -1

    monkeypatch.setattr(durability, "_syncfs", failing_syncfs)
    store.put(io.BytesIO(b"lost in a disk error"), sync=False)
    with pytest.raises(error):
        store.sync()
