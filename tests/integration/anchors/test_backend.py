"""The done-when cases on every backend: 10,000 records over several checkpoints verify on chain
and through a ChainReader; corrupted proofs and non-extending checkpoints are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.storage.anchors import AnchorStore
from notary import merkle
from notary.bundle import verify_bundle
from notary.errors import ContractRevertError, VerificationError
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from tests.integration.anchors.conftest import Chain
from tests.integration.anchors.helpers import add_records, make_anchorer, make_notary


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def test_empty_contract_reads(chain: Chain) -> None:
    reader = chain.reader()
    assert reader.latest_checkpoint() == (0, None)
    assert reader.root_at(0) is None
    assert reader.root_at(1) is None
    assert reader.root_at(2**64) is None  # out of range: not anchored, no exception
    assert reader.verify_inclusion(bytes(32), 0, 1, []) is False
    assert reader.verify_inclusion(b"short", 0, 1, []) is False
    assert reader.verify_inclusion(bytes(32), -1, 1, []) is False


def test_ten_thousand_records_over_several_checkpoints(chain: Chain, tmp_path: Path) -> None:
    notary = make_notary(tmp_path, anchor_max_batch=2500)
    anchorer = make_anchorer(notary, chain.backend)
    ids: list[str] = []
    results = []
    for _ in range(4):
        ids += add_records(notary, 2500)
        result = anchorer.run_once()
        assert result is not None and result.status == "confirmed"
        results.append(result)
    assert [r.tree_size for r in results] == [2500, 5000, 7500, 10000]
    reader = chain.reader()
    assert reader.latest_checkpoint() == (10000, notary.log.root(10000))
    store = AnchorStore(notary.log.engine)
    trust = TrustRoot.pin(
        notary.key.public_key,
        chain=TrustedChain(chain_id=reader.chain_id, contract=reader.contract_address),
    )
    for leaf_index in (0, 1, 2499, 2500, 4321, 7499, 9999):
        anchor = store.covering(leaf_index)
        assert anchor is not None and anchor.status == "confirmed"
        assert anchor.tree_size == (leaf_index // 2500 + 1) * 2500
        record_id = ids[leaf_index]
        bundle = notary.bundle(
            notary.log.get(record_id),
            checkpoint=notary.log.checkpoint(anchor.tree_size),
            anchor=anchor.bundle_anchor(),
        )
        assert bundle.anchor is not None and bundle.anchor.block_hash == reader.block_hash(
            anchor.block_number or 0
        )
        leaf = bytes.fromhex(bundle.leaf_hash)
        proof = [bytes.fromhex(p) for p in bundle.inclusion_proof]
        # The contract itself verifies the proof ...
        assert reader.verify_inclusion(leaf, leaf_index, anchor.tree_size, proof)
        # ... and so does rootAt() + the off-chain verifier.
        root = reader.root_at(anchor.tree_size)
        assert root is not None
        merkle.verify_inclusion(leaf, leaf_index, anchor.tree_size, proof, root)
        report = verify_bundle(bundle, trust=trust, chain=reader)
        assert report.level is Level.ANCHORED, report.checks
        # A corrupted proof is refused by both.
        bad = [*proof[:-1], _flip(proof[-1])]
        assert not reader.verify_inclusion(leaf, leaf_index, anchor.tree_size, bad)
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(leaf, leaf_index, anchor.tree_size, bad, root)
        assert not reader.verify_inclusion(_flip(leaf), leaf_index, anchor.tree_size, proof)
        # A size that was never anchored verifies nothing.
        assert not reader.verify_inclusion(leaf, leaf_index, anchor.tree_size + 1, proof)
    notary.close()


def test_checkpoint_that_does_not_extend_is_reverted(chain: Chain) -> None:
    good, forked = merkle.MerkleTree(), merkle.MerkleTree()
    good.extend(f"e{i}".encode() for i in range(100))
    forked.extend((b"rewritten" if i == 10 else f"e{i}".encode()) for i in range(150))
    good.extend(f"e{i}".encode() for i in range(100, 150))
    b = chain.backend
    signed = b.sign_anchor(100, good.root(100), [], "")
    b.send_raw(signed.raw)
    assert b.receipt(signed.tx_hash) is not None or chain.kind != "embedded"
    _wait_mined(chain, signed.tx_hash)
    with pytest.raises(ContractRevertError) as e:
        b.sign_anchor(150, forked.root(150), forked.consistency_proof(100, 150), "")
    assert e.value.error == "EvidenceAnchorInconsistentCheckpoint"
    assert e.value.error_args == (100, 150)
    assert "does not extend" in str(e.value)
    with pytest.raises(ContractRevertError) as e:
        b.sign_anchor(100, good.root(100), [], "")
    assert e.value.error == "EvidenceAnchorSizeNotIncreasing"
    with pytest.raises(ContractRevertError) as e:
        b.sign_anchor(150, good.root(150), good.consistency_proof(100, 150)[:-1], "")
    assert e.value.error == "EvidenceAnchorBadProofLength"
    signed = b.sign_anchor(150, good.root(150), good.consistency_proof(100, 150), "")
    b.send_raw(signed.raw)
    _wait_mined(chain, signed.tx_hash)
    assert b.latest_checkpoint() == (150, good.root(150))


def _wait_mined(chain: Chain, tx_hash: str) -> None:
    import time

    deadline = time.monotonic() + 30
    while chain.backend.receipt(tx_hash) is None:
        assert time.monotonic() < deadline, "transaction not mined"
        chain.backend.poll()
        time.sleep(0.05)


def test_non_extending_checkpoint_mined_anyway_is_reverted_on_chain(chain: Chain) -> None:
    """Skip the client-side simulation and force the transaction in: the contract reverts it."""
    from typing import Any, cast

    if chain.backend._account is None:  # pragma: no cover - every fixture chain has a key
        pytest.skip("read-only chain")
    good, forked = merkle.MerkleTree(), merkle.MerkleTree()
    good.extend(f"e{i}".encode() for i in range(8))
    forked.extend((b"rewritten" if i == 3 else f"e{i}".encode()) for i in range(12))
    b = chain.backend
    signed = b.sign_anchor(8, good.root(8), [], "")
    b.send_raw(signed.raw)
    _wait_mined(chain, signed.tx_hash)
    fn = b._contract.functions.anchor(12, forked.root(12), forked.consistency_proof(8, 12), "")
    account = b._account
    assert account is not None  # the read-only case is skipped above
    tx = fn.build_transaction(
        cast(
            Any,
            {
                "from": account.address,
                "nonce": b.nonces.take(),
                "gas": 300_000,
                "chainId": b.chain_id,
                **b._fees(),
            },
        )
    )
    raw = bytes(account.sign_transaction(cast(dict[str, Any], tx)).raw_transaction)
    tx_hash = b.send_raw(raw)
    _wait_mined(chain, tx_hash)
    receipt = b.receipt(tx_hash)
    assert receipt is not None and receipt.status == 0
    reason = b.revert_reason(tx_hash)
    assert "EvidenceAnchorInconsistentCheckpoint" in reason and "does not extend" in reason
    assert b.latest_checkpoint() == (8, good.root(8))
