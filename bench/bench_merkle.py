"""Tree build of 1,000,000 entries against hashlib's lower bound and pymerkle."""

from __future__ import annotations

import hashlib
import os

from bench._util import best_of, figure, header, timed
from notary.merkle import MerkleTree

N = 1_000_000


def main() -> None:
    header(f"Merkle tree build, {N:,} entries of 64 bytes (RFC 6962, SHA-256)")
    entries = [os.urandom(64) for _ in range(N)]
    leaf_inputs = [b"\x00" + e for e in entries]
    node_inputs = [b"\x01" + os.urandom(64) for _ in range(N - 1)]
    sha = hashlib.sha256

    def bound() -> None:  # the same 2n-1 SHA-256 calls on same-sized inputs, nothing else
        for x in leaf_inputs:
            sha(x).digest()
        for x in node_inputs:
            sha(x).digest()

    t_bound = best_of(3, bound)
    roots = []

    def ours() -> None:
        tree = MerkleTree()
        tree.extend(entries)
        roots.append(tree.root())

    t_ours = best_of(3, ours)
    figure("hashlib lower bound (2n-1 sha256 calls)", f"{t_bound:.3f} s")
    figure(
        "notary.merkle MerkleTree.extend + root",
        f"{t_ours:.3f} s",
        f"{t_ours / t_bound:.2f}x the bound (target <= 2x)",
    )

    def ours_append() -> None:
        tree = MerkleTree()
        for e in entries:
            tree.append(e)
        roots.append(tree.root())

    t_append = timed(ours_append)
    figure(
        "notary.merkle MerkleTree.append one by one + root",
        f"{t_append:.3f} s",
        f"{t_append / t_bound:.2f}x the bound",
    )
    try:
        import pymerkle  # noqa: PLC0415
    except ImportError:
        figure("pymerkle", "not installed")
        return

    def theirs() -> None:
        tree = pymerkle.InmemoryTree(algorithm="sha256")
        for e in entries:
            tree.append_entry(e)
        roots.append(tree.get_root())

    t_theirs = timed(theirs)
    assert len(set(roots)) == 1, "pymerkle and notary.merkle disagree on the root"
    figure(
        f"pymerkle {pymerkle.__version__ if hasattr(pymerkle, '__version__') else ''} "
        "InmemoryTree.append_entry + root",
        f"{t_theirs:.3f} s",
        f"ours (extend) is {t_theirs / t_ours:.1f}x faster; same root",
    )
