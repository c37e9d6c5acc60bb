"""RFC 6962 / RFC 9162 §2.1 Merkle trees: hashing, proofs and their verification.

Notation follows the RFC. A tree over ``n`` entries ``D[0:n]`` has root ``MTH(D[0:n])``:

- ``MTH({}) = SHA-256("")``
- ``MTH({d0}) = SHA-256(0x00 || d0)``                      (:func:`leaf_hash`)
- ``MTH(D[0:n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` with ``k`` the largest power of two
  smaller than ``n``                                        (:func:`node_hash`)

Every node of such a tree covers a range ``[begin, end)`` whose ``begin`` is a multiple of a power of
two at least ``end - begin``; such a range splits, left to right, into *perfect subtrees* whose sizes
are the binary digits of ``end - begin`` in descending order. A perfect subtree is named by a
:data:`NodeId` ``(level, index)`` covering leaves ``[index << level, (index + 1) << level)``. Proofs
are computed from those nodes only, so any store that keeps the hashes of complete subtrees (this
module's :class:`MerkleTree` in memory, the database-backed log on disk) serves every proof with
``O(log n)`` node reads through :func:`inclusion_proof_from` and :func:`consistency_proof_from`.

The verify functions accept anything and raise only :class:`~notary.errors.VerificationError`
subclasses: :class:`~notary.errors.MalformedProofError` for input that cannot be a proof and
:class:`~notary.errors.RootMismatchError` for a well-formed proof of something else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeAlias

from notary.errors import MalformedProofError, RootMismatchError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_PROOF_LENGTH",
    "MAX_TREE_SIZE",
    "MerkleTree",
    "NodeId",
    "NodeSource",
    "consistency_proof_from",
    "frontier_append",
    "frontier_root",
    "inclusion_proof_from",
    "leaf_hash",
    "node_hash",
    "range_nodes",
    "ranges_roots",
    "root_from",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: Tree sizes are unsigned 64-bit integers, as in RFC 9162 and the EvidenceAnchor contract.
MAX_TREE_SIZE = 2**64 - 1
#: A proof in a tree of at most 2**64 - 1 leaves has at most 64 hashes; anything longer is garbage.
#: The bound also caps the work a verifier does for a hostile input.
MAX_PROOF_LENGTH = 64

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()

#: ``(level, index)``: the perfect subtree over leaves ``[index << level, (index + 1) << level)``.
NodeId: TypeAlias = tuple[int, int]


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)``."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n``. Requires ``n >= 2``."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees that cover ``[begin, end)``, left to right.

    Requires ``0 <= begin <= end``. For the ranges of an RFC 6962 tree the sizes descend, and
    :func:`_fold` of their hashes is ``MTH(D[begin:end])``.
    """
    nodes: list[NodeId] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of a range from the hashes of its perfect subtrees (descending sizes), right to left."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(b"\x01" + h + acc).digest()
    return acc


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Ranges whose ``MTH`` form ``PATH(index, D[0:size])``, bottom-up. Requires ``0 <= index < size``."""
    top_down: list[tuple[int, int]] = []
    begin, end = 0, size
    while end - begin > 1:
        k = _split(end - begin)
        if index < begin + k:
            top_down.append((begin + k, end))
            end = begin + k
        else:
            top_down.append((begin, begin + k))
            begin += k
    top_down.reverse()
    return top_down


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Ranges whose ``MTH`` form ``PROOF(size1, D[0:size2])``. Requires ``0 < size1 <= size2``."""
    outer: list[tuple[int, int]] = []
    begin, end, m, complete_subtree = 0, size2, size1, True
    while m != end - begin:
        k = _split(end - begin)
        if m <= k:
            outer.append((begin + k, end))
            end = begin + k
        else:
            outer.append((begin, begin + k))
            begin += k
            m -= k
            complete_subtree = False
    outer.reverse()
    return outer if complete_subtree else [(begin, end), *outer]


def frontier_append(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[NodeId, bytes]]:
    """Append leaf hash ``leaf`` as index ``size`` to a log whose frontier is ``frontier``.

    The frontier is the hashes of ``range_nodes(0, size)``, left to right; it is updated in place.
    Returns the perfect subtrees the new leaf completes, the leaf itself first, as
    ``((level, index), hash)``.
    """
    created: list[tuple[NodeId, bytes]] = [((0, size), leaf)]
    h, level, index = leaf, 0, size
    while index & 1:
        h = _sha256(b"\x01" + frontier.pop() + h).digest()
        level += 1
        index >>= 1
        created.append(((level, index), h))
    frontier.append(h)
    return created


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The root of the log whose frontier is ``frontier``."""
    return _fold(frontier) if frontier else EMPTY_ROOT


class NodeSource(Protocol):
    """Anything that can give the hashes of perfect subtrees of a log of at least ``size`` leaves."""

    @property
    def size(self) -> int: ...

    def get_nodes(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        """The hashes of ``ids``, in order. Every id is a complete subtree of the current log."""
        ...


def _ranges_hashes(source: NodeSource, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """``MTH`` of each range, fetching every node needed in one call to the source."""
    per_range = [range_nodes(b, e) for b, e in ranges]
    wanted = sorted({node for nodes in per_range for node in nodes})
    fetched = dict(zip(wanted, source.get_nodes(wanted), strict=True))
    return [_fold([fetched[n] for n in nodes]) for nodes in per_range]


def ranges_roots(source: NodeSource, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """``MTH(D[begin:end])`` of each range, every node needed fetched in one call to the source.

    Requires each range to be one of the RFC 6962 split of a tree of at most ``source.size``."""
    return _ranges_hashes(source, ranges)


def _check_size(size: int, current: int) -> None:
    if not 0 <= size <= current:
        raise ValueError(f"tree size {size} out of range: the log has {current} entries")


def root_from(source: NodeSource, size: int) -> bytes:
    """``MTH(D[0:size])``. Requires ``0 <= size <= source.size``."""
    _check_size(size, source.size)
    if size == 0:
        return EMPTY_ROOT
    return _ranges_hashes(source, [(0, size)])[0]


def inclusion_proof_from(source: NodeSource, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves, bottom-up.

    Requires ``0 <= index < size <= source.size``.
    """
    _check_size(size, source.size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} out of range for tree size {size}")
    return _ranges_hashes(source, _inclusion_ranges(index, size))


def consistency_proof_from(source: NodeSource, size1: int, size2: int) -> list[bytes]:
    """The proof that the tree of ``size1`` leaves is a prefix of the tree of ``size2`` leaves.

    Requires ``0 <= size1 <= size2 <= source.size``. Empty when ``size1`` is 0 or equals ``size2``.
    """
    _check_size(size2, source.size)
    if not 0 <= size1 <= size2:
        raise ValueError(f"consistency from {size1} to {size2} is not defined")
    if size1 in (0, size2):
        return []
    return _ranges_hashes(source, _consistency_ranges(size1, size2))


class MerkleTree:
    """An in-memory RFC 6962 tree that keeps the hash of every complete subtree.

    ``append`` costs amortised two hash calls; roots and proofs for any earlier size cost
    ``O(log n)``. Memory: about two 32-byte hashes per leaf.
    """

    def __init__(self) -> None:
        # _levels[l][i] is the hash of NodeId (l, i); level 0 holds the leaf hashes.
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, entry: bytes) -> int:
        """Append an entry; return the new leaf's index."""
        return self.append_leaf_hash(leaf_hash(entry))

    def append_leaf_hash(self, h: bytes) -> int:
        """Append a leaf given its leaf hash; return its index."""
        levels = self._levels
        levels[0].append(h)
        index = len(levels[0]) - 1
        level = 0
        while index & 1:
            h = _sha256(b"\x01" + levels[level][index - 1] + h).digest()
            level += 1
            if level == len(levels):
                levels.append([])
            levels[level].append(h)
            index >>= 1
        return len(levels[0]) - 1

    def extend(self, entries: Iterable[bytes]) -> None:
        """Append many entries at once (much faster than repeated :meth:`append`)."""
        sha = _sha256
        self._extend_leaf_hashes([sha(b"\x00" + e).digest() for e in entries])

    def _extend_leaf_hashes(self, hashes: list[bytes]) -> None:
        levels, sha = self._levels, _sha256
        levels[0].extend(hashes)
        level = 0
        while True:
            below = levels[level]
            if level + 1 == len(levels):
                levels.append([])
            above = levels[level + 1]
            start = 2 * len(above)
            if start + 1 >= len(below):
                break
            above.extend(
                [
                    sha(b"\x01" + below[i] + below[i + 1]).digest()
                    for i in range(start, len(below) - 1, 2)
                ]
            )
            level += 1
        while len(levels) > 1 and not levels[-1]:
            levels.pop()

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        levels = self._levels
        return [levels[level][index] for level, index in ids]

    def root(self, size: int | None = None) -> bytes:
        """``MTH(D[0:size])``; the current root when ``size`` is None."""
        return root_from(self, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof_from(self, index, size)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return consistency_proof_from(self, size1, size2)


# --- verification -------------------------------------------------------------------------------


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_hash(name: str, value: object) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise MalformedProofError(f"{name} must be {HASH_SIZE} bytes")
    return bytes(value)


def _check_proof(proof: object) -> list[bytes]:
    if not isinstance(proof, list | tuple):
        raise MalformedProofError("proof must be a list of hashes")
    if len(proof) > MAX_PROOF_LENGTH:
        raise MalformedProofError(f"proof has {len(proof)} hashes; at most {MAX_PROOF_LENGTH}")
    return [_check_hash(f"proof[{i}]", p) for i, p in enumerate(proof)]


def _check_tree_size(name: str, value: object) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_TREE_SIZE:  # type: ignore[operator]
        raise MalformedProofError(f"{name} must be an integer from 0 to {MAX_TREE_SIZE}")
    return value  # type: ignore[return-value]


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` leads to from ``leaf_hash`` at ``index`` (RFC 9162 §2.1.3.2).

    Raises :class:`MalformedProofError` when the proof cannot be a proof for that index and size.
    """
    leaf = _check_hash("leaf_hash", leaf_hash)
    size = _check_tree_size("tree_size", tree_size)
    if not _is_int(index) or not 0 <= index < size:
        raise MalformedProofError(f"leaf index {index!r} is not below tree size {size}")
    path = _check_proof(proof)
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise MalformedProofError("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MalformedProofError("proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` leaves with ``root``.

    Returns None when the proof holds; raises :class:`MalformedProofError` or
    :class:`RootMismatchError` (both :class:`~notary.errors.VerificationError`) otherwise.
    """
    expected = _check_hash("root", root)
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if computed != expected:
        raise RootMismatchError(
            f"inclusion proof leads to root {computed.hex()}, expected {expected.hex()}"
        )


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``(size1, root1)`` is a prefix of the tree ``(size2, root2)``.

    RFC 9162 §2.1.4.2. Returns None when the proof holds; raises a
    :class:`~notary.errors.VerificationError` subclass otherwise.
    """
    m = _check_tree_size("size1", size1)
    n = _check_tree_size("size2", size2)
    first = _check_hash("root1", root1)
    second = _check_hash("root2", root2)
    path = _check_proof(proof)
    if m > n:
        raise MalformedProofError(f"size1 {m} is larger than size2 {n}")
    if m == n:
        if path:
            raise MalformedProofError("proof between equal sizes must be empty")
        if first != second:
            raise RootMismatchError("equal tree sizes with different roots")
        return
    if m == 0:
        if path:
            raise MalformedProofError("proof from the empty tree must be empty")
        return
    if not path:
        raise MalformedProofError("consistency proof is empty")
    if m & (m - 1) == 0:  # size1 is a power of two: its root is the first node of the path
        path = [first, *path]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MalformedProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MalformedProofError("consistency proof is too short")
    if fr != first:
        raise RootMismatchError(
            f"consistency proof leads to old root {fr.hex()}, expected {first.hex()}"
        )
    if sr != second:
        raise RootMismatchError(
            f"consistency proof leads to new root {sr.hex()}, expected {second.hex()}"
        )
