"""RFC 6962 behaviour of notary.merkle: CT's published vectors, a naive reference, properties."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary import merkle
from notary.errors import MalformedProofError, RootMismatchError, VerificationError
from tests.support import reference_merkle as ref
from tests.vectors import ct_generate as ct

# Certificate Transparency's published leaves and roots (one copy, in tests/vectors/ct_generate.py).
CT_LEAVES = [bytes.fromhex(x) for x in ct.CT_LEAVES]
EMPTY_TREE_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256("")
CT_ROOTS = [EMPTY_TREE_ROOT, *ct.CT_ROOTS]  # sizes 0..8
# (leaf index, tree size, path) from CT's merkle_tree_test.
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


@pytest.fixture(scope="module")
def ct_tree() -> merkle.MerkleTree:
    tree = merkle.MerkleTree()
    for leaf in CT_LEAVES:
        tree.append(leaf)
    return tree


def test_hashes_are_domain_separated():
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        merkle.node_hash(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_ct_roots(ct_tree, size):
    assert ct_tree.root(size).hex() == CT_ROOTS[size]


def test_append_returns_index_and_size_grows():
    tree = merkle.MerkleTree()
    assert tree.size == 0 and tree.root() == merkle.EMPTY_ROOT
    assert [tree.append(leaf) for leaf in CT_LEAVES] == list(range(8))
    assert tree.size == 8


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_ct_inclusion(ct_tree, index, size, expected):
    proof = ct_tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == expected
    merkle.verify_inclusion(
        merkle.leaf_hash(CT_LEAVES[index]), index, size, proof, ct_tree.root(size)
    )


@pytest.mark.parametrize(("size1", "size2", "expected"), CT_CONSISTENCY)
def test_ct_consistency(ct_tree, size1, size2, expected):
    proof = ct_tree.consistency_proof(size1, size2)
    assert [p.hex() for p in proof] == expected
    merkle.verify_consistency(size1, size2, ct_tree.root(size1), ct_tree.root(size2), proof)


def test_extend_equals_append():
    entries = [bytes([i % 256]) * (i % 7) for i in range(1000)]
    one, bulk = merkle.MerkleTree(), merkle.MerkleTree()
    for e in entries:
        one.append(e)
    bulk.extend(entries[:333])
    bulk.extend(entries[333:])
    assert bulk.root() == one.root() == ref.mth(entries)
    assert bulk.inclusion_proof(500, 1000) == one.inclusion_proof(500, 1000)


def test_exhaustive_small_trees_match_reference():
    entries = [i.to_bytes(2, "big") for i in range(33)]
    tree = merkle.MerkleTree()
    tree.extend(entries)
    for n in range(1, 34):
        assert tree.root(n) == ref.mth(entries[:n])
        for m in range(n):
            assert tree.inclusion_proof(m, n) == ref.path(m, entries[:n])
        for m in range(n + 1):
            assert tree.consistency_proof(m, n) == ref.proof(m, entries[:n])
            merkle.verify_consistency(
                m, n, tree.root(m), tree.root(n), tree.consistency_proof(m, n)
            )


def test_proof_requests_out_of_range_are_refused(ct_tree):
    with pytest.raises(ValueError):
        ct_tree.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        ct_tree.inclusion_proof(0, 9)
    with pytest.raises(ValueError):
        ct_tree.consistency_proof(5, 4)
    with pytest.raises(ValueError):
        ct_tree.root(9)


# --- properties ---------------------------------------------------------------------------------

entries_st = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(entries=entries_st, data=st.data())
def test_every_inclusion_proof_verifies_and_every_bit_flip_fails(entries, data):
    tree = merkle.MerkleTree()
    tree.extend(entries)
    n = data.draw(st.integers(1, len(entries)))
    m = data.draw(st.integers(0, n - 1))
    proof = tree.inclusion_proof(m, n)
    assert proof == ref.path(m, entries[:n])
    root = tree.root(n)
    leaf = merkle.leaf_hash(entries[m])
    merkle.verify_inclusion(leaf, m, n, proof, root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(proof)
        bad[i] = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(bad[i]))
        with pytest.raises(RootMismatchError):
            merkle.verify_inclusion(leaf, m, n, bad, root)
    bit = data.draw(st.integers(0, 255))
    bad_leaf = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(leaf))
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(bad_leaf, m, n, proof, root)


@settings(max_examples=150, deadline=None)
@given(entries=entries_st, data=st.data())
def test_every_consistency_proof_verifies_and_every_bit_flip_fails(entries, data):
    tree = merkle.MerkleTree()
    tree.extend(entries)
    n = data.draw(st.integers(1, len(entries)))
    m = data.draw(st.integers(1, n))
    proof = tree.consistency_proof(m, n)
    assert proof == ref.proof(m, entries[:n])
    merkle.verify_consistency(m, n, tree.root(m), tree.root(n), proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(proof)
        bad[i] = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(bad[i]))
        with pytest.raises(VerificationError):
            merkle.verify_consistency(m, n, tree.root(m), tree.root(n), bad)
    if m < n:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(m, n, tree.root(m), merkle.leaf_hash(b"forged"), proof)


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.binary(max_size=40),
    st.lists(st.binary(max_size=40), max_size=70),
    st.lists(st.text(max_size=3), max_size=3),
    st.integers(min_value=2**63, max_value=2**70),
    st.just(b"\x00" * 32),
)
hashes = st.one_of(st.binary(min_size=32, max_size=32), anything)
sizes = st.one_of(st.integers(-5, 2**65), anything)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(
    leaf=hashes,
    index=sizes,
    size=sizes,
    proof=st.one_of(st.lists(hashes, max_size=70), anything),
    root=hashes,
)
def test_verify_inclusion_raises_only_verification_errors(leaf, index, size, proof, root):
    try:
        merkle.verify_inclusion(leaf, index, size, proof, root)
    except VerificationError:
        pass


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(
    size1=sizes,
    size2=sizes,
    root1=hashes,
    root2=hashes,
    proof=st.one_of(st.lists(hashes, max_size=70), anything),
)
def test_verify_consistency_raises_only_verification_errors(size1, size2, root1, root2, proof):
    try:
        merkle.verify_consistency(size1, size2, root1, root2, proof)
    except VerificationError:
        pass


def test_malformed_inputs_are_malformed_proof_errors():
    root = merkle.leaf_hash(b"x")
    with pytest.raises(MalformedProofError):
        merkle.verify_inclusion(root, -1, 1, [], root)
    with pytest.raises(MalformedProofError):
        merkle.verify_inclusion(root, 0, 2**64, [], root)
    with pytest.raises(MalformedProofError):
        merkle.verify_inclusion(root[:31], 0, 1, [], root)
    with pytest.raises(MalformedProofError):
        merkle.verify_inclusion(root, True, 2, [root], root)
    with pytest.raises(MalformedProofError):
        merkle.verify_inclusion(root, 0, 2, [root] * 65, root)
    with pytest.raises(MalformedProofError):
        merkle.verify_consistency(3, 2, root, root, [root])
