"""Upload one large stream into a blob store in this process and report time and peak memory.

Run as a subprocess so ``ru_maxrss`` measures the upload alone:

    python -m tests.support.blob_upload --store local --root DIR --size BYTES
    python -m tests.support.blob_upload --store kubo --api URL --root DIR --file PATH

Prints one JSON line: ``{"cid", "size", "seconds", "maxrss_bytes", "vmhwm_bytes"}``. Without
``--file`` the content is generated on the fly (random bytes), so the input itself takes no memory.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import BinaryIO

from api.storage.blobs import KuboBlobStore, LocalBlobStore
from notary.blobs import BlobStore


def command(*args: str) -> list[str]:
    """The command that runs this module with ``args``, through a small shell that forks it:
    ``ru_maxrss`` carries over exec, and a child forked (or vforked) straight from a big process
    (pytest, the bench) would inherit that process's peak."""
    return [
        "/bin/sh",
        "-c",
        '"$0" "$@"; exit $?',
        sys.executable,
        "-m",
        "tests.support.blob_upload",
        *args,
    ]


class RandomStream(io.RawIOBase):
    """``size`` random bytes, produced as they are read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = min(len(b), self.left)
        b[:n] = os.urandom(n)
        self.left -= n
        return n


def _vmhwm() -> int:
    """This process's own peak RSS (``ru_maxrss`` may include the parent's, inherited at fork)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", choices=["local", "kubo"], required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--api", default="")
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--private", action="store_true")
    args = parser.parse_args(argv)
    kek = bytes(32) if args.private else None
    store: BlobStore
    if args.store == "local":
        store = LocalBlobStore(args.root, kek=kek)
    else:
        store = KuboBlobStore(args.api, meta_dir=args.root, kek=kek, timeout=600)
    stream: BinaryIO = (
        args.file.open("rb", buffering=0) if args.file is not None else RandomStream(args.size)  # type: ignore[assignment]
    )
    start = time.perf_counter()
    info = store.put(stream, private=args.private)
    seconds = time.perf_counter() - start
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    json.dump(
        {
            "cid": info.cid,
            "size": info.content_size,
            "seconds": seconds,
            "maxrss_bytes": maxrss_kib * 1024,
            "vmhwm_bytes": _vmhwm(),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
