"""Resumable uploads (tus 1.0) kept on disk under ``DATA_DIR/uploads`` until a record is made of
them, they are terminated, or they expire.

An upload is two files: ``<id>.json``, what its creation said (owner, length, metadata, when),
written atomically and fsynced; and ``<id>.bin``, the bytes received so far. The upload's offset is
the size of ``<id>.bin``: a PATCH appends, fsyncs, and only then answers, so an offset once
reported survives a crash. Writers of one upload queue on an ``flock`` of ``<id>.bin``, which also
holds across worker processes sharing the data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from api.storage.blobs.durability import fsync_dir, write_atomic, write_failed
from api.storage.parties import ConflictError
from notary.errors import BlobTooLargeError, InvalidRequestError, NotaryError, NotFoundError

__all__ = [
    "ChecksumMismatchError",
    "UnsupportedContentTypeError",
    "UploadBusyError",
    "UploadInfo",
    "UploadOffsetError",
    "UploadOverrunError",
    "UploadStore",
]

_ID = re.compile(r"[0-9a-f]{32}")


class UploadBusyError(ConflictError):
    """Another request is writing this upload (HTTP 409): ask its offset again, then resume."""

    code = "upload_busy"


class UploadOffsetError(ConflictError):
    """A PATCH's ``Upload-Offset`` is not the upload's offset (HTTP 409): HEAD it, resume there."""

    code = "upload_offset_mismatch"


class UploadOverrunError(BlobTooLargeError):
    """A PATCH goes past the upload's ``Upload-Length`` (HTTP 413); nothing of it is kept."""

    code = "upload_length_exceeded"

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.args = (f"the body goes past the upload's Upload-Length of {length} bytes",)


class ChecksumMismatchError(NotaryError):
    """The chunk does not match its ``Upload-Checksum`` (tus: HTTP 460); nothing of it is kept."""

    code = "checksum_mismatch"


class UnsupportedContentTypeError(InvalidRequestError):
    """A PATCH whose body is not ``application/offset+octet-stream`` (HTTP 415)."""

    code = "unsupported_media_type"


@dataclass(frozen=True, slots=True)
class UploadInfo:
    id: str
    owner: str
    length: int
    metadata: Mapping[str, str]
    #: Seconds since the epoch.
    created_at: float


class UploadStore:
    """The uploads of one data directory. ``clock``: seconds since the epoch (tests pass theirs)."""

    def __init__(
        self, root: Path, *, expiry_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.root = root
        self.expiry_s = expiry_s
        self.clock = clock

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        return self.root / f"{upload_id}.json", self.root / f"{upload_id}.bin"

    def create(self, owner: str, length: int, metadata: Mapping[str, str]) -> UploadInfo:
        info = UploadInfo(secrets.token_hex(16), owner, length, dict(metadata), self.clock())
        meta_path, data_path = self._paths(info.id)
        doc = {
            "owner": owner,
            "length": length,
            "metadata": dict(metadata),
            "created_at": info.created_at,
        }
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            data_path.touch(mode=0o600, exist_ok=False)
            write_atomic(meta_path, json.dumps(doc).encode())  # fsyncs the directory too
        except OSError as e:
            raise write_failed(e, "could not create the upload") from e
        return info

    def info(self, upload_id: str, owner: str) -> UploadInfo:
        """The upload ``upload_id`` of ``owner``: another party's is as unknown as a missing one."""
        missing = NotFoundError(f"no upload {upload_id[:40]!r}")
        if not _ID.fullmatch(upload_id):
            raise missing
        try:
            doc = json.loads(self._paths(upload_id)[0].read_bytes())
        except (FileNotFoundError, ValueError) as e:
            raise missing from e
        found = UploadInfo(
            upload_id, doc["owner"], doc["length"], doc["metadata"], doc["created_at"]
        )
        if found.owner != owner or self.expired(found):
            raise missing
        return found

    def offset(self, upload_id: str) -> int:
        try:
            return self._paths(upload_id)[1].stat().st_size
        except FileNotFoundError as e:
            raise NotFoundError(f"no upload {upload_id}") from e

    def expires_at(self, info: UploadInfo) -> float:
        return info.created_at + self.expiry_s

    def expired(self, info: UploadInfo) -> bool:
        return self.clock() >= self.expires_at(info)

    @contextlib.asynccontextmanager
    async def locked(self, upload_id: str, wait_s: float = 10.0) -> AsyncIterator[None]:
        """Hold the upload's write lock, waiting up to ``wait_s`` for another request to finish
        (a PATCH cut off by its client ends at its next read)."""
        try:
            fd = os.open(self._paths(upload_id)[1], os.O_RDONLY)
        except FileNotFoundError as e:
            raise NotFoundError(f"no upload {upload_id}") from e
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise UploadBusyError(
                            f"upload {upload_id} is being written; HEAD it and resume"
                        ) from None
                    await asyncio.sleep(0.01)
            yield
        finally:
            os.close(fd)  # releases the lock

    def open_append(self, upload_id: str) -> BinaryIO:
        return self._paths(upload_id)[1].open("ab")

    def open_read(self, upload_id: str) -> BinaryIO:
        return self._paths(upload_id)[1].open("rb")

    @staticmethod
    def finish(f: BinaryIO, keep: int) -> None:
        """Cut ``f`` back to ``keep`` bytes (a refused chunk), fsync it and close it."""
        try:
            f.flush()
            if f.tell() > keep:
                f.truncate(keep)
            os.fsync(f.fileno())
        except OSError as e:
            raise write_failed(e, "could not store the upload's bytes") from e
        finally:
            f.close()

    def delete(self, upload_id: str) -> None:
        for path in self._paths(upload_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        with contextlib.suppress(FileNotFoundError):
            fsync_dir(self.root)

    def sweep(self) -> int:
        """Delete the uploads past their expiry (and any half-created one); return how many."""
        removed = 0
        now = self.clock()
        for path in self.root.glob("*.bin") if self.root.is_dir() else ():
            upload_id = path.stem
            try:
                doc = json.loads((self.root / f"{upload_id}.json").read_bytes())
                created = float(doc["created_at"])
            except (OSError, ValueError, KeyError, TypeError):
                created = path.stat().st_mtime  # a creation cut short: expire it by its age
            if now >= created + self.expiry_s:
                self.delete(upload_id)
                removed += 1
        return removed
