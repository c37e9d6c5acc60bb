"""The embedded chain survives a restart: same contract, same block hashes, every proof valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchors.embedded import EmbeddedChain
from api.service.anchoring import open_backend
from api.storage.anchors import AnchorStore
from notary.bundle import verify_bundle
from notary.errors import AnchorError
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from tests.integration.anchors.helpers import add_records, make_anchorer, make_notary


def test_restart_replays_the_same_chain_and_old_proofs_still_verify(tmp_path: Path) -> None:
    notary = make_notary(tmp_path)
    chain = EmbeddedChain(tmp_path / "chain")
    anchorer = make_anchorer(notary, chain.backend)
    ids = add_records(notary, 40)
    first = anchorer.run_once(force=True)
    ids += add_records(notary, 60)
    second = anchorer.run_once(force=True)
    assert first is not None and second is not None
    hashes = {n: chain.backend.block_hash(n) for n in range(chain.backend.block_number() + 1)}
    address = chain.contract_address
    store = AnchorStore(notary.log.engine)
    bundles = []
    for i in (0, 39, 40, 99):
        a = store.covering(i)
        assert a is not None
        bundles.append(
            notary.bundle(
                notary.log.get(ids[i]),
                checkpoint=notary.log.checkpoint(a.tree_size),
                anchor=a.bundle_anchor(),
            )
        )
    anchorer.close()
    chain.close()

    again = EmbeddedChain(tmp_path / "chain")
    assert again.contract_address == address
    assert {n: again.backend.block_hash(n) for n in hashes} == hashes
    assert again.backend.latest_checkpoint() == (100, notary.log.root(100))
    trust = TrustRoot.pin(
        notary.key.public_key,
        chain=TrustedChain(chain_id=again.backend.chain_id, contract=address),
    )
    for bundle in bundles:
        report = verify_bundle(bundle, trust=trust, chain=again.backend)
        assert report.level is Level.ANCHORED, report.checks
        assert bundle.anchor is not None
        assert again.backend.block_hash(bundle.anchor.block_number) == bundle.anchor.block_hash
    # ... and anchoring goes on from there.
    add_records(notary, 5)
    third = make_anchorer(notary, again.backend).run_once(force=True)
    assert third is not None and third.status == "confirmed" and third.tree_size == 105
    again.close()
    notary.close()


def test_open_backend_defaults_to_the_embedded_chain_in_data_dir(tmp_path: Path) -> None:
    notary = make_notary(tmp_path)
    backend = open_backend(notary.settings)
    assert (tmp_path / "chain" / "blocks.jsonl").exists()
    assert ((tmp_path / "chain" / "anchor_key").stat().st_mode & 0o777) == 0o600
    assert backend.latest_checkpoint() == (0, None)
    with pytest.raises(AnchorError, match="open in another process"):
        open_backend(notary.settings)
    backend.close()
    open_backend(notary.settings).close()
    notary.close()


def test_a_tampered_journal_is_refused(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path / "chain")
    chain.backend.poll()
    chain.close()
    journal = tmp_path / "chain" / "blocks.jsonl"
    lines = journal.read_text().splitlines()
    block = json.loads(lines[-1])
    block["ts"] += 1
    journal.write_text("\n".join([*lines[:-1], json.dumps(block)]) + "\n")
    with pytest.raises(AnchorError, match="came out as"):
        EmbeddedChain(tmp_path / "chain")


def test_a_block_cut_short_by_a_crash_is_dropped(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path / "chain")
    head = chain.backend.block_number()
    chain.close()
    journal = tmp_path / "chain" / "blocks.jsonl"
    journal.write_text(journal.read_text() + '{"n": 99, "ts"')
    again = EmbeddedChain(tmp_path / "chain")
    assert again.backend.block_number() == head
    again.close()
