"""Making blob files durable: fsync, atomic small writes, and the deferred flush of
``put(..., sync=False)`` (one ``syncfs(2)`` through ctypes on Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from notary.errors import BlobStoreUnavailable, NotaryError, StorageFullError

__all__ = [
    "Unsynced",
    "fsync_dir",
    "make_dir",
    "mkstemp_in",
    "write_atomic",
    "write_failed",
    "write_fd",
]


def write_failed(exc: OSError, message: str) -> NotaryError:
    """The error for a failed write: :class:`StorageFullError` when the disk is full (the caller
    can do nothing but free space), else :class:`BlobStoreUnavailable`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFullError(f"{message}: the disk is full ({exc.strerror})")
    return BlobStoreUnavailable(f"{message}: {exc}")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_MADE_DIRS: set[Path] = set()


def make_dir(path: Path) -> None:
    """``mkdir -p``, once per directory per process (shard directories are never removed)."""
    if path not in _MADE_DIRS:
        path.mkdir(parents=True, exist_ok=True)
        _MADE_DIRS.add(path)


def mkstemp_in(
    directory: Path, prefix: str, *, make: Callable[[Path], None] = make_dir
) -> tuple[int, str]:
    """``tempfile.mkstemp`` in ``directory``, which ``make`` creates first; if it was removed
    behind our back (``make`` remembers what it made), it is made again."""
    make(directory)
    try:
        return tempfile.mkstemp(prefix=prefix, dir=directory)
    except FileNotFoundError:
        _MADE_DIRS.discard(directory)
        make(directory)
        return tempfile.mkstemp(prefix=prefix, dir=directory)


def write_fd(
    fd: int, chunks: Iterable[bytes | bytearray | memoryview], *, durable: bool = True
) -> None:
    """Write ``chunks`` to the new file ``fd`` and close it; fsync it first when ``durable``."""
    with os.fdopen(fd, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
        if durable:
            f.flush()
            os.fsync(f.fileno())


def write_atomic(path: Path, data: bytes, *, durable: bool = True, sync_dir: bool = True) -> None:
    """Write a small file: temporary file in the same directory, fsync, rename, fsync directory.

    ``sync_dir=False`` leaves the directory fsync to the caller, who renames more into the same
    directory and then syncs it once; ``durable=False`` leaves every fsync to the caller.
    """
    fd, tmp = mkstemp_in(path.parent, ".tmp-")
    try:
        write_fd(fd, (data,), durable=durable)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable and sync_dir:
        fsync_dir(path.parent)


class Unsynced:
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
                    make_dir(self._root)
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
                    fsync_dir(path)
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


#: ``syncfs(2)`` from the C library, or None where there is none (then each path is fsynced).
_syncfs = _load_syncfs()
