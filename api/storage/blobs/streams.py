"""Blobs as streams of chunks: the read size, the pass that checks stored bytes against their CID,
and a file-like reader over chunks (what the stores' ``open`` returns)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Final, TypeAlias

from notary.cid import CHUNK_SIZE, CidHasher
from notary.errors import BlobIntegrityError

__all__ = ["READ_SIZE", "Chunk", "reader", "verify_cid"]

#: Bytes read from an upload at a time (a whole number of CID chunks).
READ_SIZE: Final = 4 * CHUNK_SIZE
#: A piece of a blob as it is written or sent (uploads pass buffers on without copying them).
Chunk: TypeAlias = bytes | bytearray | memoryview


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


def reader(chunks: Iterator[bytes], on_close: Callable[[], None] | None = None) -> BinaryIO:
    return io.BufferedReader(_ChunkReader(chunks, on_close), buffer_size=READ_SIZE)


def verify_cid(chunks: Iterable[bytes], cid: str, where: str) -> Iterator[bytes]:
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
