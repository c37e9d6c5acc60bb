"""Content digests computed in one streaming pass: SHA-256 always, SM3 (GB/T 32905) when asked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes

__all__ = ["CHUNK_SIZE", "ContentDigest", "ContentHasher", "digest_stream"]

#: Large reads keep Python's per-call overhead negligible next to the hashing itself.
CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ContentDigest:
    sha256: str
    sm3: str | None
    size: int


class ContentHasher:
    """Feed chunks with :meth:`update`; :meth:`finalize` once. Memory is constant."""

    def __init__(self, *, sm3: bool = False) -> None:
        self._sha256 = hashlib.sha256()
        self._sm3 = hashes.Hash(hashes.SM3()) if sm3 else None
        self._size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        self._sha256.update(chunk)
        if self._sm3 is not None:
            self._sm3.update(bytes(chunk) if not isinstance(chunk, bytes) else chunk)
        self._size += len(chunk)

    def finalize(self) -> ContentDigest:
        return ContentDigest(
            sha256=self._sha256.hexdigest(),
            sm3=self._sm3.finalize().hex() if self._sm3 is not None else None,
            size=self._size,
        )


def digest_stream(stream: BinaryIO, *, sm3: bool = False) -> ContentDigest:
    """Hash everything ``stream`` yields, reading it once in :data:`CHUNK_SIZE` pieces."""
    hasher = ContentHasher(sm3=sm3)
    buf = bytearray(CHUNK_SIZE)
    view = memoryview(buf)
    while n := stream.readinto(view):  # type: ignore[attr-defined]
        hasher.update(view[:n])
    return hasher.finalize()
