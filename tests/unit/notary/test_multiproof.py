"""Multi-leaf inclusion proofs: every proof of every leaf set verifies, against the naive RFC 6962
root; every altered proof, leaf or index set fails with a VerificationError, never another error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.errors import MalformedProofError, VerificationError
from notary.merkle import MerkleTree, leaf_hash
from notary.multiproof import (
    multi_inclusion_proof_from,
    root_from_multi_inclusion_proof,
    verify_multi_inclusion,
)
from tests.support import reference_merkle

Case = tuple[MerkleTree, list[bytes], list[int]]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    size = draw(st.integers(min_value=1, max_value=70))
    entries = [i.to_bytes(2, "big") for i in range(size)]
    chosen = draw(st.sets(st.integers(min_value=0, max_value=size - 1), min_size=1))
    tree = MerkleTree()
    tree.extend(entries)
    return tree, entries, sorted(chosen)


def _leaves(entries: list[bytes], indices: list[int]) -> list[tuple[int, bytes]]:
    return [(i, leaf_hash(entries[i])) for i in indices]


@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_every_proof_leads_to_the_naive_root(case: Case) -> None:
    tree, entries, indices = case
    proof = multi_inclusion_proof_from(tree, indices, tree.size)
    root = reference_merkle.mth(entries)
    assert root_from_multi_inclusion_proof(_leaves(entries, indices), tree.size, proof) == root
    # Never longer than the audit paths of the same leaves together.
    assert len(proof) <= sum(len(tree.inclusion_proof(i, tree.size)) for i in indices)


@settings(max_examples=300, deadline=None)
@given(case=cases(), data=st.data())
def test_every_change_fails(case: Case, data: st.DataObject) -> None:
    tree, entries, indices = case
    proof = multi_inclusion_proof_from(tree, indices, tree.size)
    root = tree.root()
    leaves = _leaves(entries, indices)
    changed: list[tuple[list[tuple[int, bytes]], list[bytes], int]] = []
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        flipped = bytearray(proof[at])
        flipped[bit // 8] ^= 1 << (bit % 8)
        changed += [
            (leaves, [*proof[:at], bytes(flipped), *proof[at + 1 :]], tree.size),
            (leaves, proof[:-1], tree.size),
        ]
    n = data.draw(st.integers(0, len(leaves) - 1))
    other = bytes(32) if leaves[n][1] != bytes(32) else bytes([1]) * 32
    changed += [
        (leaves, [*proof, bytes(32)], tree.size),
        ([*leaves[:n], (leaves[n][0], other), *leaves[n + 1 :]], proof, tree.size),
    ]
    # (The tree size is not among the changes: as with an audit path, some proofs hold for two
    # sizes — leaf 0 of 3 and of 4 — and the size comes from the signed checkpoint.)
    for bad_leaves, bad_proof, size in changed:
        with pytest.raises(VerificationError):
            verify_multi_inclusion(bad_leaves, size, bad_proof, root)


@pytest.mark.parametrize(
    ("leaves", "size", "proof"),
    [
        ([], 4, []),
        ([(2, bytes(32)), (1, bytes(32))], 4, []),
        ([(1, bytes(32)), (1, bytes(32))], 4, []),
        ([(4, bytes(32))], 4, []),
        ([(True, bytes(32))], 4, []),
        ([(0, b"short")], 4, []),
        ([(0, bytes(32))], 0, []),
        ([(0, bytes(32))], 4, ["not bytes"]),
        ([(0, bytes(32))], 2, [bytes(32)] * 65),
    ],
)
def test_malformed_proofs_are_refused_as_such(
    leaves: list[tuple[int, bytes]], size: int, proof: list[bytes]
) -> None:
    with pytest.raises(MalformedProofError):
        root_from_multi_inclusion_proof(leaves, size, proof)
