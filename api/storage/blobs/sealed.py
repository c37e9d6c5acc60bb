"""The stored format of private blobs, ``AES-256-GCM-SEG1`` (``docs/blobs.md``): segmented
AES-256-GCM under a per-blob data key, kept wrapped (RFC 3394) under the key-encryption key."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from api.storage.blobs.kek import kek_id
from notary.blobs import BlobInfo, EncryptionInfo
from notary.errors import (
    BlobDecryptionError,
    BlobIntegrityError,
    BlobStoreError,
    KeyMaterialError,
)

__all__ = [
    "ENCRYPTION_ALG",
    "SEGMENT_SIZE",
    "SegmentDecryptor",
    "SegmentEncryptor",
    "decrypt",
    "new_encryption",
    "unwrap_data_key",
]

#: Plaintext bytes per encrypted segment.
SEGMENT_SIZE: Final = 1024 * 1024
ENCRYPTION_ALG: Final = "AES-256-GCM-SEG1"
_MAGIC: Final = b"SLBLOB\x00\x01"
_HEADER_LEN: Final = 20  # magic 8 | segment size u32 BE 4 | nonce prefix 7 | reserved 1
_TAG_LEN: Final = 16


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


def new_encryption(kek: bytes | None) -> tuple[SegmentEncryptor, EncryptionInfo]:
    """An encryptor under a fresh random data key, and that key wrapped under ``kek``."""
    if kek is None:
        raise KeyMaterialError("private blobs need a key-encryption key: set SUNLIGHT_BLOB_KEK")
    data_key = AESGCM.generate_key(bit_length=256)
    encryptor = SegmentEncryptor(data_key)
    encryption = EncryptionInfo(
        alg=ENCRYPTION_ALG, kek_id=kek_id(kek), wrapped_key=aes_key_wrap(kek, data_key)
    )
    return encryptor, encryption


def unwrap_data_key(info: BlobInfo, kek: bytes | None) -> bytes:
    """The data key of the private blob ``info``; says plainly when ``kek`` is missing or wrong."""
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


def decrypt(chunks: Iterable[bytes], info: BlobInfo, kek: bytes | None) -> Iterator[bytes]:
    """Decrypt a private blob's stored bytes; check the plaintext against ``info.sha256``."""
    dec = SegmentDecryptor(unwrap_data_key(info, kek))
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
