"""Receipts, checkpoints and proof bundles: signed, parsed strictly, verified check by check."""

import base64
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.bundle import make_bundle, parse_bundle, verify_bundle
from notary.digests import digest_stream
from notary.errors import KeyMaterialError, MalformedProofError, SignatureError
from notary.merkle import MerkleTree, leaf_hash
from notary.records import Content, Record
from notary.signing import NotaryKey, log_id_of, verify_checkpoint, verify_receipt

KEY = NotaryKey.from_seed(b"\x07" * 32)
OTHER = NotaryKey.from_seed(b"\x08" * 32)
FILE = b"contract body"


def _log(n: int = 9):
    tree, entries = MerkleTree(), []
    for i in range(n):
        content = (
            Content(sha256=__import__("hashlib").sha256(FILE).hexdigest(), size=len(FILE))
            if i == 4
            else None
        )
        entry = Record(
            submitter="s", content=content, data={"i": i}, received_at="2026-11-23T00:00:00Z"
        ).canonical()
        entries.append(entry)
        tree.append(entry)
    cp = KEY.sign_checkpoint(n, tree.root(), "2026-11-23T00:10:00Z")
    return tree, entries, cp


def _bundle(index: int = 4):
    tree, entries, cp = _log()
    return make_bundle(
        entry=entries[index],
        leaf_index=index,
        checkpoint=cp,
        inclusion_proof=tree.inclusion_proof(index, cp.tree_size),
        log_public_key=KEY.public_key,
    )


def test_log_id_is_the_hash_of_the_public_key():
    assert KEY.log_id == log_id_of(KEY.public_key) and len(KEY.log_id) == 64
    assert "PRIVATE" not in repr(KEY) and KEY.log_id[:16] in repr(KEY)


def test_keys_round_trip_and_bad_keys_are_refused():
    assert NotaryKey.from_pem(KEY.to_pem()).public_key == KEY.public_key
    with pytest.raises(KeyMaterialError):
        NotaryKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyMaterialError):
        NotaryKey.from_seed(b"short")


def test_receipts_verify_only_under_their_key_and_content():
    receipt = KEY.sign_receipt(3, leaf_hash(b"x"), "2026-11-23T00:00:00Z")
    verify_receipt(receipt, KEY.public_key)
    with pytest.raises(SignatureError):
        verify_receipt(receipt, OTHER.public_key)
    with pytest.raises(SignatureError):
        verify_receipt(receipt.model_copy(update={"leaf_index": 4}), KEY.public_key)


def test_a_receipt_signature_is_not_a_checkpoint_signature():
    receipt = KEY.sign_receipt(3, leaf_hash(b"x"), "2026-11-23T00:00:00Z")
    cp = KEY.sign_checkpoint(3, leaf_hash(b"x"), "2026-11-23T00:00:00Z")
    with pytest.raises(SignatureError):
        verify_checkpoint(cp.model_copy(update={"signature": receipt.signature}), KEY.public_key)


def test_a_good_bundle_verifies_every_check():
    bundle = parse_bundle(json.dumps(_bundle().to_json()))
    report = verify_bundle(bundle, file_digest=digest_stream(io.BytesIO(FILE)))
    assert report.verified, report.checks
    assert {c.name: c.passed for c in report.checks} == {
        "record": True,
        "leaf_hash": True,
        "file": True,
        "inclusion": True,
        "checkpoint_signature": True,
        "anchor": None,
    }


def _tampered(**changes):
    data = _bundle().to_json()
    for path, value in changes.items():
        target = data
        *parents, last = path.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    return parse_bundle(data)


@pytest.mark.parametrize(
    ("attack", "bundle_changes", "failing"),
    [
        ("record-data-changed", {"record.data": {"i": 5}}, {"leaf_hash", "inclusion"}),
        ("leaf-hash-swapped", {"leaf_hash": leaf_hash(b"other").hex()}, {"leaf_hash"}),
        ("proof-bit-flipped", {"inclusion_proof": None}, {"inclusion"}),
        ("leaf-index-moved", {"leaf_index": 5}, {"inclusion"}),
        (
            "checkpoint-root-forged",
            {"checkpoint.root_hash": "00" * 32},
            {"inclusion", "checkpoint_signature"},
        ),
        ("checkpoint-size-changed", {"checkpoint.tree_size": 10}, {"checkpoint_signature"}),
        (
            "checkpoint-size-halved",
            {"checkpoint.tree_size": 5},
            {"inclusion", "checkpoint_signature"},
        ),
        (
            "log-key-swapped",
            {"log_public_key": base64.b64encode(OTHER.public_key).decode()},
            {"checkpoint_signature"},
        ),
        ("record-invalid", {"record.stage": "demolition"}, {"record", "leaf_hash", "inclusion"}),
    ],
)
def test_named_attacks_fail_the_named_checks(attack, bundle_changes, failing):
    if bundle_changes.get("inclusion_proof", 1) is None:
        proof = _bundle().to_json()["inclusion_proof"]
        proof[1] = ("0" if proof[1][0] != "0" else "1") + proof[1][1:]
        bundle_changes = {"inclusion_proof": proof}
    report = verify_bundle(_tampered(**bundle_changes))
    assert not report.verified
    assert {c.name for c in report.failed()} == failing, attack


def test_a_changed_file_fails_the_file_check():
    report = verify_bundle(_bundle(), file_digest=digest_stream(io.BytesIO(FILE + b".")))
    assert not report.verified and [c.name for c in report.failed()] == ["file"]


def test_a_pinned_log_key_overrides_the_bundle_key():
    report = verify_bundle(_bundle(), trusted_log_key=OTHER.public_key)
    assert [c.name for c in report.failed()] == ["checkpoint_signature"]


class _Chain:
    def __init__(self, roots):
        self.roots = roots

    def root_at(self, tree_size):
        return self.roots.get(tree_size)


def test_the_anchor_check_reads_the_chain():
    bundle = _bundle()
    root = bytes.fromhex(bundle.checkpoint.root_hash)
    assert verify_bundle(bundle, chain=_Chain({9: root})).verified
    for roots in ({}, {9: bytes(32)}, {9: leaf_hash(b"forged")}):
        report = verify_bundle(bundle, chain=_Chain(roots))
        assert [c.name for c in report.failed()] == ["anchor"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"[]",
        b'{"format": "sunlight-proof/2"}',
        b'{"format": "sunlight-proof/1"}',
        b"{" * 100000,
        b"x" * (2 << 20),
    ],
)
def test_malformed_bundles_are_refused_clearly(raw):
    with pytest.raises(MalformedProofError):
        parse_bundle(raw)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "format",
                "record",
                "leaf_index",
                "leaf_hash",
                "checkpoint",
                "inclusion_proof",
                "anchor",
                "log_public_key",
            ]
        ),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=70),
            st.lists(st.text(max_size=64), max_size=3),
            st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
        ),
    )
)
def test_the_bundle_parser_raises_only_malformed_proof_errors(fields):
    data = _bundle().to_json() | fields
    try:
        bundle = parse_bundle(json.dumps(data))
    except MalformedProofError:
        return
    verify_bundle(bundle)  # must report, never raise
