"""Receipts, checkpoints and proof bundles: signed, parsed strictly, verified check by check."""

import base64
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.bundle import ProofBundle, make_bundle, parse_bundle, verify_bundle
from notary.chainview import Anchor, AnchorTx
from notary.digests import digest_stream
from notary.errors import (
    ChainUnavailableError,
    KeyMaterialError,
    MalformedProofError,
    SignatureError,
)
from notary.merkle import MerkleTree, leaf_hash
from notary.records import Content, Record
from notary.signing import NotaryKey, log_id_of, verify_checkpoint, verify_receipt
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level

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


def _bundle(index: int = 4) -> ProofBundle:
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


TRUST = TrustRoot.pin(KEY.public_key)


def test_a_good_bundle_verifies_every_check_against_the_pinned_key():
    bundle = parse_bundle(json.dumps(_bundle().to_json()))
    report = verify_bundle(bundle, trust=TRUST, file_digest=digest_stream(io.BytesIO(FILE)))
    assert report.verified and report.level is Level.LOG_VERIFIED, report.checks
    assert report.trust == {"log_id": KEY.log_id, "log_name": ""}
    assert {c.name: c.passed for c in report.checks} == {
        "record": True,
        "leaf_hash": True,
        "file": True,
        "inclusion": True,
        "log": True,
        "checkpoint_signature": True,
        "anchor": None,
    }


def test_without_a_trust_root_a_good_bundle_is_only_self_consistent():
    report = verify_bundle(_bundle())
    assert not report.verified and report.level is Level.NOT_AUTHENTICATED
    assert report.trust is None
    assert {c.name: c.passed for c in report.checks}["checkpoint_signature"] is None


def _forged(key: NotaryKey = OTHER):
    """A bundle forged from nothing: a record never notarized, a one-leaf tree, a checkpoint
    signed by a fresh key that the bundle itself carries."""
    entry = Record(
        submitter="township-7",
        kind="payment_request",
        data={"amount_fen": 99_000_000},
        received_at="2026-11-23T00:00:00Z",
    ).canonical()
    tree = MerkleTree()
    tree.append(entry)
    cp = key.sign_checkpoint(1, tree.root(), "2026-11-23T00:10:00Z")
    return make_bundle(
        entry=entry, leaf_index=0, checkpoint=cp, inclusion_proof=[], log_public_key=key.public_key
    )


def test_a_bundle_forged_from_nothing_is_never_verified():
    assert verify_bundle(_forged()).level is Level.NOT_AUTHENTICATED
    report = verify_bundle(_forged(), trust=TRUST)
    assert report.level is Level.NOT_VERIFIED and not report.verified
    assert [c.name for c in report.failed()] == ["log"]
    assert OTHER.log_id in report.reason and KEY.log_id in report.reason


def _tampered(**changes: Any) -> ProofBundle:
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
        ("record-invalid", {"record.stage": "demolition"}, {"record", "leaf_hash", "inclusion"}),
    ],
)
def test_named_attacks_fail_the_named_checks(attack, bundle_changes, failing):
    if bundle_changes.get("inclusion_proof", 1) is None:
        proof = _bundle().to_json()["inclusion_proof"]
        proof[1] = ("0" if proof[1][0] != "0" else "1") + proof[1][1:]
        bundle_changes = {"inclusion_proof": proof}
    report = verify_bundle(_tampered(**bundle_changes), trust=TRUST)
    assert report.level is Level.NOT_VERIFIED
    assert {c.name for c in report.failed()} == failing, attack


def test_the_key_a_bundle_carries_is_never_a_trust_root():
    swapped = _tampered(log_public_key=base64.b64encode(OTHER.public_key).decode())
    assert verify_bundle(swapped, trust=TRUST).level is Level.LOG_VERIFIED  # the pinned key decides
    assert [c.name for c in verify_bundle(swapped).failed()] == ["checkpoint_signature"]


def test_a_changed_file_fails_the_file_check():
    report = verify_bundle(
        _bundle(), trust=TRUST, file_digest=digest_stream(io.BytesIO(FILE + b"."))
    )
    assert not report.verified and [c.name for c in report.failed()] == ["file"]


def test_a_bundle_of_another_log_is_not_from_this_log():
    report = verify_bundle(_bundle(), trust=TrustRoot.pin(OTHER.public_key))
    assert [c.name for c in report.failed()] == ["log"]
    assert "not from this log" in report.reason


CONTRACT = "0x" + "ab" * 20
TX = "0x" + "11" * 32
BLOCK = "0x" + "22" * 32


class _Chain:
    """A ChainView over fixed answers: the chain's side of the anchor checks."""

    chain_id = 1337
    contract_address = CONTRACT

    def __init__(
        self,
        roots: dict[int, bytes],
        *,
        status: int = 1,
        block: tuple[int, str] = (5, BLOCK),
        canonical: str | None = BLOCK,
        head: int = 5,
        events: Any = None,
    ) -> None:
        self.roots, self.status, self.block, self.canonical, self.head = (
            roots,
            status,
            block,
            canonical,
            head,
        )
        self.events = events

    def root_at(self, tree_size):
        return self.roots.get(tree_size)

    def anchor_tx(self, tx_hash):
        if tx_hash != TX:
            return None
        events = self.events if self.events is not None else tuple(self.roots.items())
        return AnchorTx(tx_hash, self.status, self.block[0], self.block[1], events)

    def block_hash(self, number):
        return self.canonical if number == self.block[0] else None

    def block_number(self):
        return self.head


def _anchored(**anchor: Any) -> ProofBundle:
    b = _bundle()
    fields = {"chain_id": 1337, "contract": CONTRACT, "tx_hash": TX, "block_number": 5}
    return b.model_copy(update={"anchor": Anchor(**(fields | {"block_hash": BLOCK} | anchor))})


CHAIN_TRUST = TrustRoot.pin(
    KEY.public_key, chain=TrustedChain(chain_id=1337, contract=CONTRACT, confirmations=2)
)


def test_the_anchor_checks_read_the_trusted_chain():
    bundle = _anchored()
    root = bytes.fromhex(bundle.checkpoint.root_hash)
    report = verify_bundle(bundle, trust=CHAIN_TRUST, chain=_Chain({9: root}, head=6))
    assert report.level is Level.ANCHORED, report.checks
    young = verify_bundle(bundle, trust=CHAIN_TRUST, chain=_Chain({9: root}, head=5))
    assert young.level is Level.LOG_VERIFIED and "1 of 2 confirmations" in young.reason
    for roots in ({}, {9: bytes(32)}, {9: leaf_hash(b"forged")}):
        report = verify_bundle(bundle, trust=CHAIN_TRUST, chain=_Chain(roots, head=6))
        assert [c.name for c in report.failed()] == ["anchor"]


@pytest.mark.parametrize(
    ("attack", "bundle", "chain", "failing"),
    [
        ("another-chain-id", {"chain_id": 1}, {}, "anchor"),
        ("forgers-own-contract", {"contract": "0x" + "cd" * 20}, {}, "anchor"),
        ("tx-unknown", {"tx_hash": "0x" + "33" * 32}, {}, "anchor_tx"),
        ("tx-reverted", {}, {"status": 0}, "anchor_tx"),
        ("block-swapped", {"block_hash": "0x" + "44" * 32}, {}, "anchor_tx"),
        ("block-reorganised-away", {}, {"canonical": "0x" + "55" * 32}, "anchor_tx"),
        ("no-event-for-this-root", {}, {"events": ((9, bytes(32)),)}, "anchor_tx"),
    ],
)
def test_named_anchor_attacks_fail(attack, bundle, chain, failing):
    b = _anchored(**bundle)
    root = bytes.fromhex(b.checkpoint.root_hash)
    report = verify_bundle(b, trust=CHAIN_TRUST, chain=_Chain({9: root}, head=9, **chain))
    assert report.level is Level.NOT_VERIFIED, attack
    assert [c.name for c in report.failed()] == [failing], report.checks


def test_a_chain_view_of_another_contract_is_not_used():
    b = _anchored()
    root = bytes.fromhex(b.checkpoint.root_hash)
    other = _Chain({9: root}, head=9)
    other.contract_address = "0x" + "cd" * 20
    report = verify_bundle(b, trust=CHAIN_TRUST, chain=other)
    assert report.level is Level.LOG_VERIFIED
    assert "no connection" in {c.name: c.detail for c in report.checks}["anchor"]


def test_a_chain_that_cannot_be_read_is_not_checked_never_verified():
    class Down(_Chain):
        def root_at(self, tree_size):
            raise ChainUnavailableError("node down")

    b = _anchored()
    report = verify_bundle(b, trust=CHAIN_TRUST, chain=Down({}))
    assert report.level is Level.LOG_VERIFIED
    assert {c.name: c.passed for c in report.checks}["anchor"] is None


def test_a_trusted_chain_alone_authenticates_an_anchored_root():
    b = _anchored()
    root = bytes.fromhex(b.checkpoint.root_hash)
    trust = TrustRoot(chains=(TrustedChain(chain_id=1337, contract=CONTRACT),))
    report = verify_bundle(b, trust=trust, chain=_Chain({9: root}, head=9))
    assert report.level is Level.ANCHORED and report.verified


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


@pytest.mark.slow
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
    verify_bundle(bundle, trust=CHAIN_TRUST, chain=_Chain({}))


def test_a_derived_secret_is_per_label_and_per_key_and_reveals_no_key():
    label = "sunlight/oversight-snapshots/1"
    key = NotaryKey.from_seed(b"\x01" * 32)
    secret = key.derive_secret(label)
    assert len(secret) == 32
    assert NotaryKey.from_pem(key.to_pem()).derive_secret(label) == secret
    assert key.derive_secret("sunlight/other/1") != secret
    assert NotaryKey.from_seed(b"\x02" * 32).derive_secret(label) != secret
    assert secret != b"\x01" * 32 and secret not in key.to_pem()
