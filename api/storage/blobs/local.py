"""The local blob store: a content-addressed directory ``root/<xx>/<yy>/<cid>``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from api.storage.blobs.base import Options, StoreBase
from api.storage.blobs.durability import (
    Unsynced,
    fsync_dir,
    make_dir,
    mkstemp_in,
    write_failed,
    write_fd,
)
from api.storage.blobs.sidecar import Sidecars, shard, write_tombstone
from api.storage.blobs.streams import READ_SIZE, Chunk
from notary.blobs import BlobInfo, Tombstone
from notary.cid import parse_cid
from notary.errors import BlobErasedError, BlobNotFoundError, BlobStoreUnavailable

__all__ = ["LocalBlobStore"]


class LocalBlobStore(StoreBase):
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
        self._opts = Options(kek=kek, max_bytes=max_bytes, sm3=sm3)
        self._sidecars = Sidecars(self.root, Unsynced(self.root))

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def close(self) -> None:
        self._sidecars.unsynced.close()

    local = True

    def path(self, cid: str) -> Path:
        """Where the bytes of ``cid`` live (whether or not they exist)."""
        parse_cid(cid)
        return shard(self.root, cid) / cid

    def _where(self, cid: str) -> str:
        return str(self.path(cid))

    # uploads

    def _make_tmp_dir(self, tmp: Path) -> None:
        try:
            make_dir(tmp)
        except OSError as exc:
            raise write_failed(exc, f"blob directory {self.root} is not writable") from exc

    def _new_tmp(self) -> tuple[int, Path]:
        """A new file under ``root/.tmp`` (same file system as the blobs) for an upload."""
        try:
            fd, tmp_name = mkstemp_in(self.root / ".tmp", "upload-", make=self._make_tmp_dir)
        except OSError as exc:
            raise write_failed(exc, f"cannot write to {self.root}") from exc
        return fd, Path(tmp_name)

    def _place(self, tmp: Path, info: BlobInfo, *, sync: bool) -> None:
        """Sidecar, then the bytes renamed to their CID, then one fsync of their directory."""
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
                fsync_dir(final.parent)
        except OSError as exc:
            raise write_failed(exc, f"cannot write to {self.root}") from exc
        if not sync:
            self._sidecars.unsynced.add(final)

    def _store(
        self, chunks: Iterable[Chunk], finish: Callable[[], BlobInfo], *, sync: bool = True
    ) -> BlobInfo:
        if not sync:
            self._sidecars.unsynced.watch()
        fd, tmp = self._new_tmp()
        try:
            try:
                write_fd(fd, chunks, durable=sync)
            except OSError as exc:
                raise write_failed(exc, f"cannot write to {self.root}") from exc
            info = finish()
            self._place(tmp, info, sync=sync)
            return info
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    # reads

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
        return self._adopt_public(cid)

    def has(self, cid: str) -> bool:
        return self.path(cid).exists()

    # erasure

    def erase(self, cid: str, *, reason: str) -> Tombstone:
        stone = write_tombstone(
            self._sidecars, cid, reason, stored=self.has, where=f"in {self.root}"
        )
        self._remove_bytes(cid)
        return stone

    def _remove_bytes(self, cid: str) -> None:
        path = self.path(cid)
        try:
            path.unlink(missing_ok=True)
            fsync_dir(path.parent)
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
