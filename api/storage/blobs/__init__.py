"""Blob stores: a local content-addressed directory and an IPFS node (Kubo RPC API).

Both implement :class:`notary.blobs.BlobStore` and address blobs by the CIDv1 of the stored bytes as
Kubo computes it (:mod:`notary.cid`), so blobs move between them without changing address. Formats
(layout on disk, sidecars, encryption) are described in ``docs/blobs.md``.

Every upload is one streaming pass: SHA-256 (and SM3 when enabled) of the content, encryption for
private blobs, and the CID of the stored bytes are computed on the same chunks as they are written
(locally) or sent (to IPFS); memory does not depend on the blob's size.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ctypes
import errno
import hashlib
import io
import json
import os
import secrets
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Final

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from api.settings import Settings
from notary.blobs import BlobInfo, BlobStore, EncryptionInfo, Tombstone
from notary.cid import CHUNK_SIZE, MAX_LINKS, CidHasher, parse_cid
from notary.digests import ContentHasher
from notary.errors import (
    BlobDecryptionError,
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailable,
    BlobTooLargeError,
    KeyMaterialError,
    NotaryError,
    StorageFullError,
)

__all__ = [
    "ENCRYPTION_ALG",
    "KuboBlobStore",
    "LocalBlobStore",
    "blob_store_from_settings",
    "open_blob_store",
    "parse_kek",
]

#: Bytes read from an upload at a time (a whole number of CID chunks).
READ_SIZE: Final = 4 * CHUNK_SIZE
#: Plaintext bytes per encrypted segment.
SEGMENT_SIZE: Final = 1024 * 1024
ENCRYPTION_ALG: Final = "AES-256-GCM-SEG1"
_MAGIC: Final = b"SLBLOB\x00\x01"
_HEADER_LEN: Final = 20  # magic 8 | segment size u32 BE 4 | nonce prefix 7 | reserved 1
_TAG_LEN: Final = 16
#: A sidecar is a few hundred bytes; refuse to parse anything absurd.
_MAX_SIDECAR_BYTES: Final = 64 * 1024
_MAX_REASON_CHARS: Final = 2000


# --- key-encryption key --------------------------------------------------------------------------


def parse_kek(secret: str) -> bytes:
    """The 256-bit key-encryption key from its text form: 64 hex digits or base64 of 32 bytes."""
    text = secret.strip()
    key: bytes | None = None
    if len(text) == 64:
        with contextlib.suppress(ValueError):
            key = bytes.fromhex(text)
    if key is None:
        with contextlib.suppress(binascii.Error, ValueError):
            key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
    if key is None or len(key) != 32:
        raise KeyMaterialError(
            "SUNLIGHT_BLOB_KEK must be 32 random bytes as 64 hex digits or base64 "
            "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def kek_id(kek: bytes) -> str:
    """A public identifier of a key-encryption key (lets a reader say "wrong key" plainly)."""
    return hashlib.sha256(b"sunlight blob kek id\x00" + kek).hexdigest()[:16]


# --- segmented AES-256-GCM -----------------------------------------------------------------------


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class SegmentEncryptor:
    """Streaming AES-256-GCM: a header, then segments of :data:`SEGMENT_SIZE` plaintext bytes,
    each sealed with its own nonce ``prefix(7) || counter(4, BE) || last(1)`` and the header as
    associated data. Exactly one segment, the final one, has ``last = 1``; it may be short or
    empty."""

    def __init__(self, data_key: bytes, *, segment_size: int = SEGMENT_SIZE) -> None:
        self._aead = AESGCM(data_key)
        self._prefix = secrets.token_bytes(7)
        self._segment = segment_size
        self.header = _MAGIC + segment_size.to_bytes(4, "big") + self._prefix + b"\x00"
        self._buf = bytearray()
        self._counter = 0
        self._header_sent = False

    def _seal(self, plaintext: bytes | bytearray | memoryview, last: bool) -> bytes:
        if self._counter >= 2**32 - 1:
            raise BlobStoreError("blob too large for one encryption key (2^32 segments)")
        out = self._aead.encrypt(
            _nonce(self._prefix, self._counter, last), bytes(plaintext), self.header
        )
        self._counter += 1
        return out

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Ciphertext for every segment completed by ``data`` (preceded by the header, once)."""
        out = bytearray()
        if not self._header_sent:
            out += self.header
            self._header_sent = True
        self._buf += data
        # Keep at least one byte back: only finalize() knows which segment is the last.
        while len(self._buf) > self._segment:
            out += self._seal(memoryview(self._buf)[: self._segment], last=False)
            del self._buf[: self._segment]
        return bytes(out)

    def finalize(self) -> bytes:
        """The final segment (the header too, for empty content)."""
        out = b"" if self._header_sent else self.header
        self._header_sent = True
        out += self._seal(self._buf, last=True)
        self._buf = bytearray()
        return out


class SegmentDecryptor:
    """The inverse of :class:`SegmentEncryptor`; raises :class:`BlobDecryptionError` on a bad
    header, a segment that fails authentication, a truncation or trailing bytes."""

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(data_key)
        self._buf = bytearray()
        self._header: bytes | None = None
        self._prefix = b""
        self._seal_len = 0
        self._counter = 0
        self._done = False

    def _open(self, sealed: bytes | bytearray | memoryview, last: bool) -> bytes:
        assert self._header is not None
        try:
            plain = self._aead.decrypt(
                _nonce(self._prefix, self._counter, last), bytes(sealed), self._header
            )
        except InvalidTag:
            what = "final segment" if last else "segment"
            raise BlobDecryptionError(
                f"{what} {self._counter} of the private blob failed authentication: the ciphertext "
                "was truncated, reordered or altered"
            ) from None
        self._counter += 1
        return plain

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._done:
            raise BlobDecryptionError("bytes after the final segment of a private blob")
        self._buf += data
        if self._header is None:
            if len(self._buf) < _HEADER_LEN:
                return b""
            header = bytes(self._buf[:_HEADER_LEN])
            if header[:8] != _MAGIC:
                raise BlobDecryptionError("not a Sunlight private blob (bad header)")
            segment = int.from_bytes(header[8:12], "big")
            if not 1 <= segment <= 64 * 1024 * 1024:
                raise BlobDecryptionError("private blob header names an invalid segment size")
            self._header, self._prefix, self._seal_len = header, header[12:19], segment + _TAG_LEN
            del self._buf[:_HEADER_LEN]
        out = bytearray()
        while len(self._buf) > self._seal_len:
            out += self._open(memoryview(self._buf)[: self._seal_len], last=False)
            del self._buf[: self._seal_len]
        return bytes(out)

    def finalize(self) -> bytes:
        if self._header is None or len(self._buf) < _TAG_LEN:
            raise BlobDecryptionError("the private blob is truncated (no final segment)")
        out = self._open(self._buf, last=True)
        self._buf = bytearray()
        self._done = True
        return out


# --- sidecars ------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _info_to_json(info: BlobInfo) -> dict[str, Any]:
    enc = info.encryption
    return {
        "version": info.version,
        "cid": info.cid,
        "size": info.size,
        "sha256": info.sha256,
        "sm3": info.sm3,
        "content_size": info.content_size,
        "encryption": None
        if enc is None
        else {
            "alg": enc.alg,
            "kek_id": enc.kek_id,
            "wrapped_key": base64.b64encode(enc.wrapped_key).decode("ascii"),
        },
    }


def _info_from_json(doc: dict[str, Any]) -> BlobInfo:
    enc = doc.get("encryption")
    return BlobInfo(
        cid=str(doc["cid"]),
        size=int(doc["size"]),
        sha256=str(doc["sha256"]),
        sm3=None if doc.get("sm3") is None else str(doc["sm3"]),
        content_size=int(doc["content_size"]),
        encryption=None
        if enc is None
        else EncryptionInfo(
            alg=str(enc["alg"]),
            kek_id=str(enc["kek_id"]),
            wrapped_key=base64.b64decode(str(enc["wrapped_key"]), validate=True),
        ),
        version=int(doc.get("version", 1)),
    )


def _write_failed(exc: OSError, message: str) -> NotaryError:
    """The error for a failed write: :class:`StorageFullError` when the disk is full (the caller
    can do nothing but free space), else :class:`BlobStoreUnavailable`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFullError(f"{message}: the disk is full ({exc.strerror})")
    return BlobStoreUnavailable(f"{message}: {exc}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_MADE_DIRS: set[Path] = set()


def _make_dir(path: Path) -> None:
    """``mkdir -p``, once per directory per process (shard directories are never removed)."""
    if path not in _MADE_DIRS:
        path.mkdir(parents=True, exist_ok=True)
        _MADE_DIRS.add(path)


def _write_atomic(path: Path, data: bytes, *, durable: bool = True, sync_dir: bool = True) -> None:
    """Write a small file: temporary file in the same directory, fsync, rename, fsync directory.

    ``sync_dir=False`` leaves the directory fsync to the caller, who renames more into the same
    directory and then syncs it once; ``durable=False`` leaves every fsync to the caller.
    """
    _make_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except FileNotFoundError:  # the directory was removed behind our back: make it again
        _MADE_DIRS.discard(path.parent)
        _make_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable and sync_dir:
        _fsync_dir(path.parent)


class _Unsynced:
    """Files written without fsync (``put(..., sync=False)``), made durable together by
    :meth:`sync`: one ``syncfs`` of the file system on Linux, else an fsync of each file and
    directory.

    The file-system descriptor is opened before the first such write, so ``syncfs`` reports any
    write-back error since then (Linux 5.8+ reports them to each open descriptor once).
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._paths: set[Path] = set()
        self._lock = threading.Lock()  # guards _paths
        self._syncing = threading.Lock()  # a sync returns only after every earlier write is safe
        self._fs: int | None = None

    def watch(self) -> None:
        """Call before writing anything that :meth:`add` will be told of."""
        if self._fs is None and _syncfs is not None:
            with self._lock:
                if self._fs is None:
                    _make_dir(self._root)
                    self._fs = os.open(self._root, os.O_RDONLY | os.O_DIRECTORY)

    def add(self, *paths: Path) -> None:
        with self._lock:
            self._paths.update(paths)

    def sync(self) -> None:
        with self._syncing:
            with self._lock:
                paths, self._paths = self._paths, set()
            if not paths:
                return
            if self._fs is not None and _syncfs is not None:
                if _syncfs(self._fs) != 0:
                    code = ctypes.get_errno()
                    raise OSError(code, f"syncfs: {os.strerror(code)}")
                return
            for path in sorted(paths, key=lambda p: p.is_dir()):  # files, then directories
                if path.is_dir():
                    _fsync_dir(path)
                else:
                    fd = os.open(path, os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)

    def close(self) -> None:
        with self._lock:
            if self._fs is not None:
                os.close(self._fs)
                self._fs = None


def _load_syncfs() -> Callable[[int], int] | None:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_syncfs = _load_syncfs()


def _shard(root: Path, cid: str) -> Path:
    """``root/<cid[-5:-3]>/<cid[-3:-1]>``: the last characters of a CID are the digest's (the first
    ones are the same ``bafk``/``bafy`` prefix for every blob); like Kubo's flatfs next-to-last."""
    return root / cid[-5:-3] / cid[-3:-1]


class _Sidecars:
    """Small JSON files ``<shard>/<cid>.json``: blob metadata, or a tombstone once erased."""

    def __init__(self, root: Path, unsynced: _Unsynced) -> None:
        self.root = root
        self.unsynced = unsynced

    def path(self, cid: str) -> Path:
        return _shard(self.root, cid) / f"{cid}.json"

    def read(self, cid: str) -> dict[str, Any] | None:
        path = self.path(cid)
        try:
            with path.open("rb") as f:
                raw = f.read(_MAX_SIDECAR_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read blob metadata {path}: {exc}") from exc
        try:
            if len(raw) > _MAX_SIDECAR_BYTES:
                raise ValueError("too large")
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("cid") != cid:
                raise ValueError("wrong content")
        except ValueError as exc:
            raise BlobIntegrityError(f"blob metadata {path} is damaged ({exc}); run check") from exc
        return doc

    def write(
        self, cid: str, doc: dict[str, Any], *, durable: bool = True, sync_dir: bool = True
    ) -> None:
        path = self.path(cid)
        try:
            if not durable:
                self.unsynced.watch()
            _write_atomic(
                path,
                json.dumps(doc, sort_keys=True, indent=1).encode(),
                durable=durable,
                sync_dir=sync_dir,
            )
        except OSError as exc:
            raise _write_failed(exc, f"cannot write blob metadata under {self.root}") from exc
        if not durable:
            self.unsynced.add(path, path.parent)

    def info(self, cid: str) -> BlobInfo | None:
        doc = self.read(cid)
        if doc is None or doc.get("erased") is not None:
            return None
        try:
            return _info_from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise BlobIntegrityError(f"blob metadata for {cid} is damaged ({exc})") from exc

    def tombstone(self, cid: str) -> Tombstone | None:
        doc = self.read(cid)
        erased = None if doc is None else doc.get("erased")
        if not isinstance(erased, dict):
            return None
        return Tombstone(
            cid=cid,
            reason=str(erased.get("reason", "")),
            erased_at=str(erased.get("at", "")),
            sha256=None if doc is None or doc.get("sha256") is None else str(doc["sha256"]),
        )

    def put_info(self, info: BlobInfo, *, durable: bool = True, sync_dir: bool = True) -> None:
        self.write(info.cid, _info_to_json(info), durable=durable, sync_dir=sync_dir)

    def put_tombstone(self, stone: Tombstone) -> None:
        self.write(
            stone.cid,
            {
                "version": stone.version,
                "cid": stone.cid,
                "sha256": stone.sha256,
                "erased": {"reason": stone.reason, "at": stone.erased_at},
            },
        )

    def iter_docs(self) -> Iterator[dict[str, Any]]:
        if not self.root.exists():
            return
        for path in sorted(self.root.glob("*/*/*.json")):
            doc = self.read(path.name[: -len(".json")])
            if doc is not None:
                yield doc


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > _MAX_REASON_CHARS:
        raise BlobStoreError(f"an erasure needs a reason of 1 to {_MAX_REASON_CHARS} characters")
    return reason


# --- the one streaming pass ----------------------------------------------------------------------


class _Ingest:
    """Reads an upload once: content digests, optional encryption, CID of what is stored.

    Iterate :meth:`chunks` to get the bytes to store; then :meth:`info` has everything.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        max_bytes: int | None,
        sm3: bool,
        kek: bytes | None,
        private: bool,
    ) -> None:
        self._stream = stream
        self._max = max_bytes
        self._content = ContentHasher(sm3=sm3)
        self._cid = CidHasher()
        self._stored = 0
        self._encryption: EncryptionInfo | None = None
        self._enc: SegmentEncryptor | None = None
        if private:
            if kek is None:
                raise KeyMaterialError(
                    "private blobs need a key-encryption key: set SUNLIGHT_BLOB_KEK"
                )
            data_key = AESGCM.generate_key(bit_length=256)
            self._enc = SegmentEncryptor(data_key)
            self._encryption = EncryptionInfo(
                alg=ENCRYPTION_ALG, kek_id=kek_id(kek), wrapped_key=aes_key_wrap(kek, data_key)
            )

    def _emit(self, data: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
        self._cid.update(data)
        self._stored += len(data)
        return data

    def chunks(self) -> Iterator[bytes | bytearray | memoryview]:
        buf = bytearray(READ_SIZE)
        view = memoryview(buf)
        readinto: Callable[[memoryview], int | None] | None = getattr(
            self._stream, "readinto", None
        )
        total = 0
        while True:
            if readinto is not None:
                n = readinto(view) or 0
                piece: bytes | memoryview = view[:n]
            else:
                piece = self._stream.read(READ_SIZE)
                n = len(piece)
            if n == 0:
                break
            total += n
            if self._max is not None and total > self._max:
                raise BlobTooLargeError(self._max)
            self._content.update(piece)
            if self._enc is None:
                yield self._emit(piece)
            else:
                sealed = self._enc.update(piece)
                if sealed:
                    yield self._emit(sealed)
        if self._enc is not None:
            yield self._emit(self._enc.finalize())

    def info(self) -> BlobInfo:
        digest = self._content.finalize()
        return BlobInfo(
            cid=self._cid.digest(),
            size=self._stored,
            sha256=digest.sha256,
            sm3=digest.sm3,
            content_size=digest.size,
            encryption=self._encryption,
        )


# --- readers -------------------------------------------------------------------------------------


class _ChunkReader(io.RawIOBase):
    """A raw binary reader over an iterator of chunks; ``on_close`` releases the source."""

    def __init__(self, chunks: Iterator[bytes], on_close: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""
        self._pos = 0
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        while self._pos >= len(self._pending):
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._pending, self._pos = nxt, 0
        n = min(len(view), len(self._pending) - self._pos)
        view[:n] = self._pending[self._pos : self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed and self._on_close is not None:
            self._on_close()
        super().close()


def _reader(chunks: Iterator[bytes], on_close: Callable[[], None] | None = None) -> BinaryIO:
    return io.BufferedReader(_ChunkReader(chunks, on_close), buffer_size=READ_SIZE)


def _verify_cid(chunks: Iterable[bytes], cid: str, where: str) -> Iterator[bytes]:
    """Pass ``chunks`` through; before the end, raise if they do not hash to ``cid``."""
    hasher = CidHasher()
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk
    got = hasher.digest()
    if got != cid:
        raise BlobIntegrityError(
            f"blob {cid} is corrupt: {where} holds bytes whose CID is {got}; restore it from a copy"
        )


def _decrypt(chunks: Iterable[bytes], info: BlobInfo, kek: bytes | None) -> Iterator[bytes]:
    """Decrypt a private blob's stored bytes; check the plaintext against ``info.sha256``."""
    dec = SegmentDecryptor(_unwrap(info, kek))
    sha = hashlib.sha256()
    for chunk in chunks:
        plain = dec.update(chunk)
        if plain:
            sha.update(plain)
            yield plain
    plain = dec.finalize()
    sha.update(plain)
    if sha.hexdigest() != info.sha256:
        raise BlobIntegrityError(
            f"blob {info.cid} decrypts to content that is not the recorded one"
        )
    yield plain


def _rehash_public(
    cid: str,
    chunks: Iterator[bytes],
    close: Callable[[], None],
    *,
    where: str,
    sm3: bool,
    sidecars: _Sidecars,
) -> BlobInfo:
    """Metadata for stored bytes that have none (copied in by hand, pinned by someone else, or
    whose sidecar was lost): a public blob, hashed once and its sidecar written."""
    content = ContentHasher(sm3=sm3)
    try:
        for chunk in _verify_cid(chunks, cid, where):
            content.update(chunk)
    finally:
        close()
    digest = content.finalize()
    info = BlobInfo(
        cid=cid, size=digest.size, sha256=digest.sha256, sm3=digest.sm3, content_size=digest.size
    )
    sidecars.put_info(info)
    return info


def _tombstone(
    sidecars: _Sidecars, cid: str, reason: str, *, stored: Callable[[str], bool], where: str
) -> Tombstone:
    """The blob's tombstone, written now unless it exists: it replaces the metadata, and with it
    a private blob's wrapped key, before any byte is removed."""
    reason = _check_reason(reason)
    stone = sidecars.tombstone(cid)
    if stone is None:
        info = sidecars.info(cid)
        if info is None and not stored(cid):
            raise BlobNotFoundError(f"no blob {cid} {where}")
        sha = info.sha256 if info is not None else None
        stone = Tombstone(cid=cid, reason=reason, erased_at=_now(), sha256=sha)
        sidecars.put_tombstone(stone)
    return stone


def _unwrap(info: BlobInfo, kek: bytes | None) -> bytes:
    enc = info.encryption
    assert enc is not None
    if enc.alg != ENCRYPTION_ALG:
        raise BlobDecryptionError(f"blob {info.cid} uses unknown encryption {enc.alg!r}")
    if kek is None:
        raise KeyMaterialError(f"blob {info.cid} is private: set SUNLIGHT_BLOB_KEK to read it")
    if kek_id(kek) != enc.kek_id:
        raise BlobDecryptionError(
            f"blob {info.cid} was encrypted under key-encryption key {enc.kek_id}, "
            f"not the configured one ({kek_id(kek)}): wrong SUNLIGHT_BLOB_KEK"
        )
    try:
        return aes_key_unwrap(kek, enc.wrapped_key)
    except (InvalidUnwrap, ValueError):
        raise BlobDecryptionError(
            f"the data key of blob {info.cid} does not unwrap: wrong key-encryption key or damaged "
            "metadata"
        ) from None


@dataclass(frozen=True, slots=True)
class _Options:
    kek: bytes | None
    max_bytes: int | None
    sm3: bool


# --- local store ---------------------------------------------------------------------------------


class _StoreBase:
    """What both stores do alike: ingesting uploads, and what goes through their sidecars
    (tombstones, the deferred flush)."""

    _opts: _Options
    _sidecars: _Sidecars

    def _store(
        self,
        chunks: Iterable[bytes | bytearray | memoryview],
        finish: Callable[[], BlobInfo],
        *,
        sync: bool = True,
    ) -> BlobInfo:
        raise NotImplementedError

    def _remove_bytes(self, cid: str) -> None:
        raise NotImplementedError

    def put(self, stream: BinaryIO, *, private: bool = False, sync: bool = True) -> BlobInfo:
        o = self._opts
        ingest = _Ingest(stream, max_bytes=o.max_bytes, sm3=o.sm3, kek=o.kek, private=private)
        return self._store(ingest.chunks(), ingest.info, sync=sync)

    def import_stored(self, stream: BinaryIO, info: BlobInfo) -> BlobInfo:
        parse_cid(info.cid)
        chunks = _verify_cid(iter(lambda: stream.read(READ_SIZE), b""), info.cid, "the source")
        return self._store(chunks, lambda: info)

    def tombstone(self, cid: str) -> Tombstone | None:
        parse_cid(cid)
        return self._sidecars.tombstone(cid)

    def import_tombstone(self, stone: Tombstone) -> None:
        """Record another store's tombstone here (migration); bytes already here are removed."""
        parse_cid(stone.cid)
        if self._sidecars.tombstone(stone.cid) is None:
            self._sidecars.put_tombstone(stone)
        self._remove_bytes(stone.cid)

    def sync(self) -> None:
        """Make every blob put with ``sync=False`` before this call durable."""
        try:
            self._sidecars.unsynced.sync()
        except OSError as exc:
            raise _write_failed(
                exc, f"cannot make blobs under {self._sidecars.root} durable"
            ) from exc

    def iter_tombstones(self) -> Iterator[Tombstone]:
        for doc in self._sidecars.iter_docs():
            if doc.get("erased") is not None:
                stone = self._sidecars.tombstone(str(doc["cid"]))
                if stone is not None:
                    yield stone


class LocalBlobStore(_StoreBase):
    """Blobs as files ``root/<xx>/<yy>/<cid>`` with a JSON sidecar ``<cid>.json`` beside each.

    Writes are atomic (temporary file under ``root/.tmp`` on the same file system, fsync, rename,
    fsync directory); reads re-check the CID and raise :class:`BlobIntegrityError` on a mismatch.
    """

    def __init__(
        self,
        root: Path,
        *,
        kek: bytes | None = None,
        max_bytes: int | None = None,
        sm3: bool = False,
    ) -> None:
        self.root = Path(root)
        self._opts = _Options(kek=kek, max_bytes=max_bytes, sm3=sm3)
        self._sidecars = _Sidecars(self.root, _Unsynced(self.root))

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def close(self) -> None:
        self._sidecars.unsynced.close()

    local = True

    @property
    def can_decrypt(self) -> bool:
        return self._opts.kek is not None

    def path(self, cid: str) -> Path:
        """Where the bytes of ``cid`` live (whether or not they exist)."""
        parse_cid(cid)
        return _shard(self.root, cid) / cid

    def _tmp_dir(self) -> Path:
        tmp = self.root / ".tmp"
        try:
            _make_dir(tmp)
        except OSError as exc:
            raise _write_failed(exc, f"blob directory {self.root} is not writable") from exc
        return tmp

    def _store(
        self,
        chunks: Iterable[bytes | bytearray | memoryview],
        finish: Callable[[], BlobInfo],
        *,
        sync: bool = True,
    ) -> BlobInfo:
        if not sync:
            self._sidecars.unsynced.watch()
        try:
            try:
                fd, tmp_name = tempfile.mkstemp(prefix="upload-", dir=self._tmp_dir())
            except FileNotFoundError:  # removed behind our back: make it again
                _MADE_DIRS.discard(self.root / ".tmp")
                fd, tmp_name = tempfile.mkstemp(prefix="upload-", dir=self._tmp_dir())
        except OSError as exc:
            raise _write_failed(exc, f"cannot write to {self.root}") from exc
        tmp = Path(tmp_name)
        try:
            try:
                with os.fdopen(fd, "wb") as f:
                    for chunk in chunks:
                        f.write(chunk)
                    if sync:
                        f.flush()
                        os.fsync(f.fileno())
            except OSError as exc:
                raise _write_failed(exc, f"cannot write to {self.root}") from exc
            info = finish()
            stone = self._sidecars.tombstone(info.cid)
            if stone is not None:
                raise BlobErasedError(info.cid, stone.reason, stone.erased_at)
            final = self.path(info.cid)
            # Metadata first: bytes without metadata would be a private blob with no key.
            # The sidecar and the bytes share a directory: one fsync of it makes both renames
            # durable before the caller acknowledges anything (a crash before it leaves at most
            # an unacknowledged blob, whose record was never written).
            self._sidecars.put_info(info, durable=sync, sync_dir=False)
            try:
                os.replace(tmp, final)
                if sync:
                    _fsync_dir(final.parent)
            except OSError as exc:
                raise _write_failed(exc, f"cannot write to {self.root}") from exc
            if not sync:
                self._sidecars.unsynced.add(final)
            return info
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _chunks(self, cid: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        path = self.path(cid)
        try:
            f = path.open("rb")
        except FileNotFoundError:
            stone = self._sidecars.tombstone(cid)
            if stone is not None:
                raise BlobErasedError(cid, stone.reason, stone.erased_at) from None
            raise BlobNotFoundError(f"no blob {cid} in {self.root}") from None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read {path}: {exc}") from exc
        return iter(lambda: f.read(READ_SIZE), b""), f.close

    def open_stored(self, cid: str) -> BinaryIO:
        chunks, close = self._chunks(cid)
        return _reader(_verify_cid(chunks, cid, str(self.path(cid))), close)

    def open(self, cid: str) -> BinaryIO:
        info = self.stat(cid)
        if info.encryption is not None:
            _unwrap(info, self._opts.kek)  # fail now, not at the first read
        chunks, close = self._chunks(cid)
        verified = _verify_cid(chunks, cid, str(self.path(cid)))
        if info.encryption is not None:
            verified = _decrypt(verified, info, self._opts.kek)
        return _reader(verified, close)

    def stat(self, cid: str) -> BlobInfo:
        parse_cid(cid)
        info = self._sidecars.info(cid)
        if info is not None and self.path(cid).exists():
            return info
        stone = self._sidecars.tombstone(cid)
        if stone is not None:
            raise BlobErasedError(cid, stone.reason, stone.erased_at)
        if not self.path(cid).exists():
            raise BlobNotFoundError(f"no blob {cid} in {self.root}")
        # Bytes without metadata (e.g. copied in by hand): a public blob, rehash it once.
        return _rehash_public(
            cid,
            *self._chunks(cid),
            where=str(self.path(cid)),
            sm3=self._opts.sm3,
            sidecars=self._sidecars,
        )

    def has(self, cid: str) -> bool:
        return self.path(cid).exists()

    def erase(self, cid: str, *, reason: str) -> Tombstone:
        stone = _tombstone(self._sidecars, cid, reason, stored=self.has, where=f"in {self.root}")
        self._remove_bytes(cid)
        return stone

    def _remove_bytes(self, cid: str) -> None:
        path = self.path(cid)
        try:
            path.unlink(missing_ok=True)
            _fsync_dir(path.parent)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot delete {path}: {exc}") from exc

    def discard(self, cid: str) -> None:
        """Remove a blob and its metadata without a tombstone (after it moved to another store)."""
        self._remove_bytes(cid)
        with contextlib.suppress(FileNotFoundError):
            self._sidecars.path(cid).unlink()

    def iter_cids(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for path in sorted(self.root.glob("*/*/*")):
            if path.suffix != ".json" and not path.name.startswith("."):
                yield path.name


# --- IPFS (Kubo RPC API) -------------------------------------------------------------------------


class KuboBlobStore(_StoreBase):
    """Blobs in an IPFS node through Kubo's RPC API (``/api/v0``), pinned.

    ``meta_dir`` holds the JSON sidecars (digests, wrapped keys of private blobs, tombstones); the
    node holds the bytes. Uploads stream a multipart body (chunked transfer encoding) built on the
    fly from the one pass over the input; the CID the node returns must equal the one computed here.
    """

    #: Import parameters of ``/api/v0/add``: exactly those :mod:`notary.cid` computes with.
    add_params: ClassVar[dict[str, str]] = {
        "cid-version": "1",
        "raw-leaves": "true",
        "chunker": f"size-{CHUNK_SIZE}",
        "max-file-links": str(MAX_LINKS),
        "hash": "sha2-256",
        "pin": "true",
        "progress": "false",
        "quieter": "true",
    }

    def __init__(
        self,
        api_url: str,
        *,
        meta_dir: Path,
        kek: bytes | None = None,
        max_bytes: int | None = None,
        sm3: bool = False,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._opts = _Options(kek=kek, max_bytes=max_bytes, sm3=sm3)
        self._sidecars = _Sidecars(Path(meta_dir), _Unsynced(Path(meta_dir)))
        self._client = httpx.Client(
            base_url=f"{self.api_url}/api/v0/",
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"KuboBlobStore({self.api_url!r})"

    def close(self) -> None:
        self._client.close()
        self._sidecars.unsynced.close()

    local = False

    def __enter__(self) -> KuboBlobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def can_decrypt(self) -> bool:
        return self._opts.kek is not None

    # RPC plumbing

    def _unavailable(self, exc: Exception) -> BlobStoreUnavailable:
        return BlobStoreUnavailable(
            f"the IPFS node at {self.api_url} is unavailable ({type(exc).__name__}: {exc}); "
            "start it or check SUNLIGHT_IPFS_API"
        )

    def _error(self, response: httpx.Response, what: str) -> BlobStoreError:
        try:
            message = str(response.json().get("Message", ""))
        except (ValueError, AttributeError):
            message = response.text[:500]
        if response.status_code in (502, 503, 504):
            return BlobStoreUnavailable(
                f"the IPFS node at {self.api_url} answered "
                f"{response.status_code} to {what}: {message}"
            )
        return BlobStoreError(f"the IPFS node refused {what} ({response.status_code}): {message}")

    def _rpc(self, command: str, params: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        try:
            pairs = tuple(params.items()) if isinstance(params, dict) else tuple(params)
            response = self._client.post(command, params=pairs)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        return response

    def _rpc_ok(self, command: str, params: dict[str, str] | list[tuple[str, str]]) -> Any:
        response = self._rpc(command, params)
        if response.status_code != 200:
            raise self._error(response, command)
        return response.json()

    def _pinned(self, cid: str) -> bool:
        response = self._rpc("pin/ls", {"arg": cid, "type": "recursive"})
        if response.status_code == 200:
            return cid in response.json().get("Keys", {})
        if "not pinned" in response.text:
            return False
        raise self._error(response, "pin/ls")

    def _unpin(self, cid: str) -> None:
        response = self._rpc("pin/rm", {"arg": cid})
        if response.status_code != 200 and "not pinned" not in response.text:
            raise self._error(response, "pin/rm")

    # uploads

    def _add(self, chunks: Iterable[bytes | bytearray | memoryview]) -> str:
        boundary = secrets.token_hex(16)
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="blob"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            for chunk in chunks:
                yield bytes(chunk)
            yield tail

        params = self.add_params
        try:
            response = self._client.post(
                "add",
                params=params,
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if response.status_code != 200:
            raise self._error(response, "add")
        lines = [line for line in response.text.splitlines() if line.strip()]
        try:
            result = json.loads(lines[-1])
            return str(result["Hash"])
        except (IndexError, KeyError, ValueError) as exc:
            raise BlobStoreError(
                f"unexpected answer from the IPFS node to add: {lines[-3:]}"
            ) from exc

    def _store(
        self,
        chunks: Iterable[bytes | bytearray | memoryview],
        finish: Callable[[], BlobInfo],
        *,
        sync: bool = True,
    ) -> BlobInfo:
        node_cid = self._add(chunks)
        info = finish()
        if node_cid != info.cid:
            with contextlib.suppress(BlobStoreError):
                self._unpin(node_cid)
            raise BlobIntegrityError(
                f"the IPFS node stored the upload as {node_cid} but Sunlight computed {info.cid}: "
                "the node does not import with --cid-version=1 --raw-leaves --chunker=size-262144 "
                "--max-file-links=174; nothing was recorded"
            )
        stone = self._sidecars.tombstone(info.cid)
        if stone is not None:
            with contextlib.suppress(BlobStoreError):
                self._unpin(info.cid)
            raise BlobErasedError(info.cid, stone.reason, stone.erased_at)
        self._sidecars.put_info(info, durable=sync)
        return info

    # reads

    def _chunks(self, cid: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        if not self.has(cid):
            stone = self._sidecars.tombstone(cid)
            if stone is not None:
                raise BlobErasedError(cid, stone.reason, stone.erased_at)
            raise BlobNotFoundError(f"no blob {cid} is pinned on the IPFS node at {self.api_url}")
        request = self._client.build_request("POST", "cat", params={"arg": cid})
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if response.status_code != 200:
            response.read()
            response.close()
            raise self._error(response, "cat")

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(READ_SIZE)
            except httpx.TransportError as exc:
                raise self._unavailable(exc) from exc
            finally:
                response.close()

        return chunks(), response.close

    def open_stored(self, cid: str) -> BinaryIO:
        parse_cid(cid)
        chunks, close = self._chunks(cid)
        return _reader(_verify_cid(chunks, cid, "the IPFS node"), close)

    def open(self, cid: str) -> BinaryIO:
        info = self.stat(cid)
        if info.encryption is not None:
            _unwrap(info, self._opts.kek)
        chunks, close = self._chunks(cid)
        verified = _verify_cid(chunks, cid, "the IPFS node")
        if info.encryption is not None:
            verified = _decrypt(verified, info, self._opts.kek)
        return _reader(verified, close)

    def stat(self, cid: str) -> BlobInfo:
        parse_cid(cid)
        stone = self._sidecars.tombstone(cid)
        if stone is not None:
            raise BlobErasedError(cid, stone.reason, stone.erased_at)
        info = self._sidecars.info(cid)
        if info is not None:
            return info
        # Pinned by someone else, or metadata lost: a public blob, hash it once.
        return _rehash_public(
            cid,
            *self._chunks(cid),
            where="the IPFS node",
            sm3=self._opts.sm3,
            sidecars=self._sidecars,
        )

    def has(self, cid: str) -> bool:
        parse_cid(cid)
        return self._pinned(cid)

    def erase(self, cid: str, *, reason: str) -> Tombstone:
        """Tombstone first (reads say "erased" at once, a private blob's key is gone), then unpin
        and remove every block of the blob from the node (blocks shared with another pinned blob
        stay). Raises :class:`BlobStoreUnavailable` if the node is down after the tombstone is
        written: run the erasure again to finish it."""
        parse_cid(cid)
        stone = _tombstone(
            self._sidecars,
            cid,
            reason,
            stored=self._pinned,
            where=f"on the IPFS node at {self.api_url}",
        )
        self._remove_bytes(cid)
        return stone

    def _remove_bytes(self, cid: str) -> None:
        self._unpin(cid)
        response = self._rpc(
            "refs", {"arg": cid, "recursive": "true", "unique": "true", "offline": "true"}
        )
        blocks = [cid]
        if response.status_code == 200:
            for line in response.text.splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    ref = json.loads(line)["Ref"]
                    if ref:
                        blocks.append(str(ref))
        params = [("arg", b) for b in blocks] + [("quiet", "true")]
        response = self._rpc("block/rm", params)
        if response.status_code != 200 and "not found" not in response.text:
            raise self._error(response, "block/rm")

    def iter_cids(self) -> Iterator[str]:
        """The blobs this store recorded (its sidecars), not everything pinned on the node."""
        for doc in self._sidecars.iter_docs():
            if doc.get("erased") is None:
                yield str(doc["cid"])


def open_blob_store(
    *,
    data_dir: Path,
    ipfs_api: str = "",
    kek: bytes | None = None,
    max_bytes: int | None = None,
    sm3: bool = False,
) -> BlobStore:
    """The store a deployment uses: IPFS when ``ipfs_api`` is set (sidecars in
    ``data_dir/blob-meta``), else the local store in ``data_dir/blobs``."""
    if ipfs_api:
        return KuboBlobStore(
            ipfs_api, meta_dir=data_dir / "blob-meta", kek=kek, max_bytes=max_bytes, sm3=sm3
        )
    return LocalBlobStore(data_dir / "blobs", kek=kek, max_bytes=max_bytes, sm3=sm3)


def blob_store_from_settings(settings: Settings) -> BlobStore:
    """:func:`open_blob_store` with every knob from the settings (``SUNLIGHT_IPFS_API``,
    ``SUNLIGHT_BLOB_KEK``, ``SUNLIGHT_MAX_UPLOAD_BYTES``, ``SUNLIGHT_SM3``)."""
    secret = settings.blob_kek.get_secret_value()
    return open_blob_store(
        data_dir=settings.data_dir,
        ipfs_api=settings.ipfs_api,
        kek=parse_kek(secret) if secret else None,
        max_bytes=settings.max_upload_bytes,
        sm3=settings.sm3,
    )
