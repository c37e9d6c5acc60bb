"""Regenerate tests/vectors/cid.json from a real Kubo binary (needs no daemon: ``--only-hash``).

    .venv/bin/python -m tests.vectors.generate_cid [path/to/ipfs]

The CIDs in the file are what Kubo printed, not what notary.cid computes: the unit tests compare the
two. Content is ``tests.support.reference_cid.pattern(size, seed)``, described in the file itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.kubo import kubo_binary
from tests.support.reference_cid import pattern

K = 262_144
CASES: list[tuple[str, int, int]] = [  # name, size, chunk size
    ("empty", 0, K),
    ("one-byte", 1, K),
    ("one-chunk-minus-1", K - 1, K),
    ("one-chunk", K, K),
    ("one-chunk-plus-1", K + 1, K),
    ("two-chunks", 2 * K, K),
    ("full-node-174-chunks", 174 * K, K),
    ("174-chunks-plus-1", 174 * K + 1, K),
    ("depth-3-small-chunks", 174 * 174 * 1024 + 1, 1024),
    ("full-depth-2-small-chunks", 174 * 174 * 1024, 1024),
]


def kubo_cid(ipfs: Path, data: bytes, chunk: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f"
        path.write_bytes(data)
        env = {**os.environ, "IPFS_PATH": str(Path(tmp) / "repo")}
        subprocess.run(
            [str(ipfs), "init", "--profile=test"], env=env, check=True, capture_output=True
        )
        out = subprocess.run(
            [
                str(ipfs),
                "add",
                "--only-hash",
                "-Q",
                "--cid-version=1",
                "--raw-leaves",
                f"--chunker=size-{chunk}",
                "--max-file-links=174",
                str(path),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


def main() -> None:
    ipfs = Path(sys.argv[1]) if len(sys.argv) > 1 else kubo_binary()
    if ipfs is None:
        raise SystemExit("no ipfs binary: run scripts/setup/20-kubo.sh")
    version = subprocess.run(
        [str(ipfs), "version", "-n"], check=True, capture_output=True, text=True
    ).stdout.strip()
    vectors = []
    for name, size, chunk in CASES:
        data = pattern(size, seed=0)
        entry: dict[str, object] = {
            "name": name,
            "size": size,
            "seed": 0,
            "chunk_size": chunk,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if size <= 64:
            entry["content_hex"] = data.hex()
        entry["cid"] = kubo_cid(ipfs, data, chunk)
        vectors.append(entry)
    doc = {
        "description": "CIDv1 of files as returned by Kubo's `ipfs add --cid-version=1 "
        "--raw-leaves --chunker=size-<chunk_size> --max-file-links=174`.",
        "kubo_version": version,
        "content": "bytes = concat(SHA-256(ASCII(f'{seed}:{i}')) for i = 0, 1, 2, ...) cut to size",
        "vectors": vectors,
    }
    out = Path(__file__).with_name("cid.json")
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {len(vectors)} vectors to {out}")


if __name__ == "__main__":
    main()
