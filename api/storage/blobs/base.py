"""What both blob stores do alike: ingesting uploads, checked reads, and what goes through their
sidecars (metadata of blobs found without any, tombstones, the deferred flush)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from api.storage.blobs.durability import write_failed
from api.storage.blobs.ingest import Ingest, rehash_public
from api.storage.blobs.sealed import decrypt, unwrap_data_key
from api.storage.blobs.sidecar import Sidecars
from api.storage.blobs.streams import READ_SIZE, Chunk, reader, verify_cid
from notary.blobs import BlobInfo, Tombstone
from notary.cid import parse_cid

__all__ = ["Options", "StoreBase"]


@dataclass(frozen=True, slots=True)
class Options:
    kek: bytes | None
    max_bytes: int | None
    sm3: bool


class StoreBase:
    """The shared half of :class:`~api.storage.blobs.local.LocalBlobStore` and
    :class:`~api.storage.blobs.kubo.KuboBlobStore`; each supplies where bytes go and come from."""

    _opts: Options
    _sidecars: Sidecars

    # what each store supplies

    def _store(
        self, chunks: Iterable[Chunk], finish: Callable[[], BlobInfo], *, sync: bool = True
    ) -> BlobInfo:
        raise NotImplementedError

    def _chunks(self, cid: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        """The stored bytes of ``cid`` and how to release them."""
        raise NotImplementedError

    def _where(self, cid: str) -> str:
        """Where the bytes of ``cid`` are, for error messages."""
        raise NotImplementedError

    def _remove_bytes(self, cid: str) -> None:
        raise NotImplementedError

    def stat(self, cid: str) -> BlobInfo:
        raise NotImplementedError

    # shared

    @property
    def can_decrypt(self) -> bool:
        return self._opts.kek is not None

    def put(self, stream: BinaryIO, *, private: bool = False, sync: bool = True) -> BlobInfo:
        o = self._opts
        ingest = Ingest(stream, max_bytes=o.max_bytes, sm3=o.sm3, kek=o.kek, private=private)
        return self._store(ingest.chunks(), ingest.info, sync=sync)

    def import_stored(self, stream: BinaryIO, info: BlobInfo) -> BlobInfo:
        parse_cid(info.cid)
        chunks = verify_cid(iter(lambda: stream.read(READ_SIZE), b""), info.cid, "the source")
        return self._store(chunks, lambda: info)

    def open_stored(self, cid: str) -> BinaryIO:
        parse_cid(cid)
        chunks, close = self._chunks(cid)
        return reader(verify_cid(chunks, cid, self._where(cid)), close)

    def open(self, cid: str) -> BinaryIO:
        info = self.stat(cid)
        if info.encryption is not None:
            unwrap_data_key(info, self._opts.kek)  # fail now, not at the first read
        chunks, close = self._chunks(cid)
        verified = verify_cid(chunks, cid, self._where(cid))
        if info.encryption is not None:
            verified = decrypt(verified, info, self._opts.kek)
        return reader(verified, close)

    def _adopt_public(self, cid: str) -> BlobInfo:
        """Metadata for stored bytes that have none: a public blob, hashed once, sidecar written."""
        info = rehash_public(cid, *self._chunks(cid), where=self._where(cid), sm3=self._opts.sm3)
        self._sidecars.put_info(info)
        return info

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
            raise write_failed(
                exc, f"cannot make blobs under {self._sidecars.root} durable"
            ) from exc

    def iter_tombstones(self) -> Iterator[Tombstone]:
        for doc in self._sidecars.iter_docs():
            if doc.get("erased") is not None:
                stone = self._sidecars.tombstone(str(doc["cid"]))
                if stone is not None:
                    yield stone
