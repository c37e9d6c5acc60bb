"""Multi-leaf inclusion proofs: that many leaves are in one RFC 6962 tree, proved at once.

The proof of the leaves at indices ``I`` in the tree of ``n`` leaves is the list of ``MTH(D[b:e])``
of every **maximal** range ``[b, e)`` of the tree's RFC 6962 split (``[0, n)`` split at the largest
power of two below its size, recursively) that holds no index of ``I``, left to right. A verifier
recomputes the root from the leaves and these hashes by the same recursion. It proves what one
audit path per leaf proves, with the upper nodes the paths share sent and hashed once: for a
project's records spread over a large log, about half the hashes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise

from notary.errors import MalformedProofError, RootMismatchError
from notary.merkle import (
    HASH_SIZE,
    MAX_PROOF_LENGTH,
    MAX_TREE_SIZE,
    NodeSource,
    node_hash,
    ranges_roots,
)

__all__ = [
    "multi_inclusion_proof_from",
    "root_from_multi_inclusion_proof",
    "verify_multi_inclusion",
]


def _split(n: int) -> int:
    """The largest power of two smaller than ``n``. Requires ``n >= 2``."""
    return 1 << ((n - 1).bit_length() - 1)


def _increasing(indices: Sequence[int]) -> bool:
    return all(a < b for a, b in pairwise(indices))


def _empty_ranges(indices: Sequence[int], span: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """The maximal ranges of the split of ``[begin, end)`` holding none of ``indices[lo:hi]``
    (sorted, all inside it), left to right; ``span`` is ``(lo, hi, begin, end)``."""
    lo, hi, begin, end = span
    if lo == hi:
        return [(begin, end)]
    if end - begin == 1:
        return []
    k = begin + _split(end - begin)
    cut = bisect_left(indices, k, lo, hi)
    return _empty_ranges(indices, (lo, cut, begin, k)) + _empty_ranges(indices, (cut, hi, k, end))


def multi_inclusion_proof_from(
    source: NodeSource, indices: Sequence[int], size: int
) -> list[bytes]:
    """The multi-leaf proof of ``indices`` in the tree of ``size`` leaves, every node it needs
    fetched from ``source`` in one call.

    Requires ``indices`` non-empty and strictly increasing, ``0 <= index < size <= source.size``.
    """
    if not indices or indices[0] < 0 or indices[-1] >= size or size > source.size:
        raise ValueError(f"leaf indices must be non-empty and below tree size {size}")
    if not _increasing(indices):
        raise ValueError("leaf indices must be strictly increasing")
    return ranges_roots(source, _empty_ranges(indices, (0, len(indices), 0, size)))


def _hash(name: str, value: object) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise MalformedProofError(f"{name} must be {HASH_SIZE} bytes")
    return bytes(value)


def root_from_multi_inclusion_proof(
    leaves: Sequence[tuple[int, bytes]], tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` leads to from ``leaves``, ``(index, leaf hash)`` pairs in strictly
    increasing index order. Raises :class:`MalformedProofError` when the proof cannot be one for
    those indices and that size."""
    if isinstance(tree_size, bool) or not isinstance(tree_size, int):
        raise MalformedProofError("tree_size must be an integer")
    if not 0 < tree_size <= MAX_TREE_SIZE or not isinstance(leaves, list | tuple) or not leaves:
        raise MalformedProofError("a multi-leaf proof needs a tree and at least one leaf")
    indices = [i for i, _ in leaves]
    if any(isinstance(i, bool) or not isinstance(i, int) for i in indices):
        raise MalformedProofError("leaf indices must be integers")
    if indices[0] < 0 or indices[-1] >= tree_size or not _increasing(indices):
        raise MalformedProofError(f"leaf indices must increase strictly and stay below {tree_size}")
    hashes = [_hash(f"leaf {i}", h) for i, h in leaves]
    if not isinstance(proof, list | tuple) or len(proof) > len(leaves) * MAX_PROOF_LENGTH:
        raise MalformedProofError("a multi-leaf proof is a list of at most 64 hashes per leaf")
    given = iter([_hash(f"proof[{n}]", p) for n, p in enumerate(proof)])

    def mth(lo: int, hi: int, begin: int, end: int) -> bytes:
        if lo == hi:
            subtree = next(given, None)
            if subtree is None:
                raise MalformedProofError("multi-leaf proof is too short")
            return subtree
        if end - begin == 1:
            return hashes[lo]
        k = begin + _split(end - begin)
        cut = bisect_left(indices, k, lo, hi)
        return node_hash(mth(lo, cut, begin, k), mth(cut, hi, k, end))

    root = mth(0, len(indices), 0, tree_size)
    if next(given, None) is not None:
        raise MalformedProofError("multi-leaf proof is too long")
    return root


def verify_multi_inclusion(
    leaves: Sequence[tuple[int, bytes]], tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that each ``(index, leaf hash)`` of ``leaves`` is that leaf of the tree of
    ``tree_size`` leaves with ``root``; raise a :class:`~notary.errors.VerificationError` if not."""
    expected = _hash("root", root)
    computed = root_from_multi_inclusion_proof(leaves, tree_size, proof)
    if computed != expected:
        raise RootMismatchError(
            f"multi-leaf proof leads to root {computed.hex()}, expected {expected.hex()}"
        )
