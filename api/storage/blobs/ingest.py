"""The one streaming pass over an upload: SHA-256 (and SM3 when enabled) of the content,
encryption for private blobs, and the CID of the bytes to store, all on the same chunks, so memory
does not depend on the blob's size."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from api.storage.blobs.sealed import SegmentEncryptor, new_encryption
from api.storage.blobs.streams import READ_SIZE, Chunk, verify_cid
from notary.blobs import BlobInfo, EncryptionInfo
from notary.cid import CidHasher
from notary.digests import ContentHasher
from notary.errors import BlobTooLargeError

__all__ = ["Ingest", "rehash_public"]


class Ingest:
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
            self._enc, self._encryption = new_encryption(kek)

    def _emit(self, data: Chunk) -> Chunk:
        self._cid.update(data)
        self._stored += len(data)
        return data

    def chunks(self) -> Iterator[Chunk]:
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


def rehash_public(
    cid: str, chunks: Iterator[bytes], close: Callable[[], None], *, where: str, sm3: bool
) -> BlobInfo:
    """Metadata for stored bytes that have none (copied in by hand, pinned by someone else, or
    whose sidecar was lost): a public blob, its bytes checked against ``cid`` and hashed once."""
    content = ContentHasher(sm3=sm3)
    try:
        for chunk in verify_cid(chunks, cid, where):
            content.update(chunk)
    finally:
        close()
    digest = content.finalize()
    return BlobInfo(
        cid=cid, size=digest.size, sha256=digest.sha256, sm3=digest.sm3, content_size=digest.size
    )
