"""Project proofs an attacker would hand us, judged against a pinned log key and the real
EvidenceAnchor contract on the embedded chain.

One log holds two projects, interleaved, and standalone records: anchored once (the *stale*
checkpoint), then project A grows and the log is anchored again (the *current* one). Every attack
on a genuine proof of A must be refused, naming the check that caught it, under each trust root
that can catch it: the pinned key, the trusted chain, or both.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from anchors.anchorer import Anchorer
from anchors.embedded import EmbeddedChain
from api.service.anchoring import anchor_config, make_anchorer
from api.service.notary import Notary
from api.service.project_proof import latest_project_proof
from api.storage.anchors import AnchorStore
from api.storage.heads import HeadsStore
from notary.completeness import ProjectReport, parse_project_proof, verify_project_proof
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from tests.support.project_log import add_records, forged_heads, open_notary, reproved

A, B = "XQ-2026-0042", "XQ-2026-0099"


@dataclass
class World:
    notary: Notary
    chain: EmbeddedChain
    stale: dict[str, Any]  # A as of the first anchor
    current: dict[str, Any]  # A as of the second
    public: dict[str, Any]  # A as the public sees it: the private record as a leaf hash
    other: dict[str, Any]  # B
    roots: dict[str, TrustRoot]

    def judge(self, doc: dict[str, Any], root: str = "both", **kw: Any) -> ProjectReport:
        proof = parse_project_proof(json.dumps(doc))
        return verify_project_proof(proof, trust=self.roots[root], chain=self.chain.backend, **kw)


def _anchor(anchorer: Anchorer) -> None:
    result = anchorer.run_once(force=True)
    assert result is not None and result.status == "confirmed"


def _proof(notary: Notary, project: str, *, everything: bool = True) -> dict[str, Any]:
    proof = latest_project_proof(
        notary, AnchorStore(notary.log.engine), project, visible=lambda s: everything or s.public
    )
    assert proof is not None
    return proof.to_json()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("project-proofs")
    notary = open_notary(Path(data))
    chain = EmbeddedChain(Path(data) / "chain")
    config = anchor_config(notary.settings, poll_interval_s=0.01)
    anchorer = make_anchorer(notary, chain.backend, config=config)
    add_records(notary, A, 3)
    add_records(notary, B, 2)
    add_records(notary, A, 3, private=(0,))  # A's record 3 is private
    add_records(notary, None, 2)
    _anchor(anchorer)
    stale = _proof(notary, A)
    add_records(notary, B, 1)
    add_records(notary, A, 2)
    _anchor(anchorer)
    backend = chain.backend
    trusted = TrustedChain(chain_id=backend.chain_id, contract=backend.contract_address)
    roots = {
        "both": TrustRoot.pin(notary.key.public_key, chain=trusted),
        "key": TrustRoot.pin(notary.key.public_key),
        "chain": TrustRoot(chains=(trusted,)),
    }
    yield World(
        notary,
        chain,
        stale,
        _proof(notary, A),
        _proof(notary, A, everything=False),
        _proof(notary, B),
        roots,
    )
    anchorer.close()
    chain.close()
    notary.close()


def _refused(report: ProjectReport, check: str) -> None:
    assert report.level is Level.NOT_VERIFIED, report.to_json()
    assert report.report.failed()[0].name == check, report.to_json()
    assert not report.verified


def _leaf(item: dict[str, Any]) -> bytes:
    return hashlib.sha256(b"\x00" + item["entry"].encode()).digest()


def _reproved(world: World, doc: dict[str, Any]) -> dict[str, Any]:
    return reproved(world.notary.log, doc)


def test_genuine_proof_is_complete_as_of_the_latest_anchor(world: World) -> None:
    size = world.current["checkpoint"]["tree_size"]
    for root, level in (("both", Level.ANCHORED), ("key", Level.LOG_VERIFIED)):
        report = world.judge(world.current, root)
        assert report.level is level, report.to_json()
        assert (report.count, report.tree_size) == (8, size)
        assert f"8 records, complete and in order as of tree size {size}" in report.report.reason
    assert world.judge(world.current, "chain").level is Level.ANCHORED
    anonymous = verify_project_proof(parse_project_proof(json.dumps(world.current)))
    assert anonymous.level is Level.NOT_AUTHENTICATED


def test_withheld_private_record_still_counts_and_links_are_reported_unchecked(
    world: World,
) -> None:
    withheld = [r for r in world.public["records"] if "entry" not in r]
    assert len(withheld) == 1 and "leaf_hash" in withheld[0]
    report = world.judge(world.public)
    assert report.level is Level.ANCHORED
    links = next(c for c in report.report.checks if c.name == "prev_chain")
    assert links.passed is None and "1 lead into records withheld" in links.detail


@pytest.mark.parametrize("root", ["both", "key", "chain"])
def test_dropped_last_record(world: World, root: str) -> None:
    doc = copy.deepcopy(world.current)
    doc["records"].pop()
    _refused(world.judge(_reproved(world, doc), root), "head")


def test_dropped_last_record_with_a_heads_statement_signed_by_another_key(world: World) -> None:
    size = world.current["checkpoint"]["tree_size"]
    heads = HeadsStore(world.notary.log.engine).heads_at(size)
    records = world.current["records"]
    last_but_one = records[-2]
    heads[A] = (last_but_one["leaf_index"], _leaf(last_but_one), len(records) - 1)
    forged = forged_heads(world.current, heads, A)
    forged["records"].pop()
    _refused(world.judge(_reproved(world, forged), "key"), "heads_signature")
    _refused(world.judge(_reproved(world, forged), "both"), "heads_signature")
    # With the chain alone no signature is checked: the anchored manifest is the statement's CID.
    _refused(world.judge(_reproved(world, forged), "chain"), "manifest")


def test_heads_statement_whose_cid_is_not_the_anchored_manifest(world: World) -> None:
    size = world.current["checkpoint"]["tree_size"]
    heads = HeadsStore(world.notary.log.engine).heads_at(size)
    heads["XQ-9999-FAKE"] = (0, bytes(32), 1)  # the genuine map and one invented project
    forged = forged_heads(world.current, heads, A)
    report = world.judge(forged, "chain")
    _refused(report, "manifest")
    assert "not the heads statement's CID" in report.report.failed()[0].detail


def test_dropped_middle_record(world: World) -> None:
    doc = copy.deepcopy(world.current)
    del doc["records"][1]
    _refused(world.judge(_reproved(world, doc)), "prev_chain")


def test_reordered_records(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["records"][0], doc["records"][1] = doc["records"][1], doc["records"][0]
    _refused(world.judge(doc), "records")
    # The records swapped but each left at its place in the tree: their leaves are not there.
    doc = copy.deepcopy(world.current)
    first, second = doc["records"][0], doc["records"][1]
    first["entry"], second["entry"] = second["entry"], first["entry"]
    _refused(world.judge(_reproved(world, doc)), "inclusion")


def test_changed_record(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["records"][2]["entry"] = doc["records"][2]["entry"].replace('"n":2', '"n":99')
    assert '"n":99' in doc["records"][2]["entry"]
    _refused(world.judge(_reproved(world, doc)), "inclusion")


def test_duplicated_record(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["records"].insert(1, doc["records"][1])
    _refused(world.judge(doc), "records")


def test_record_of_another_project(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["records"][-2] = world.other["records"][-1]  # B's last record sits between A's last two
    report = world.judge(_reproved(world, doc))
    _refused(report, "records")
    assert f"is not a record of {A} (project '{B}')" in report.report.failed()[0].detail


def test_map_proof_of_another_project(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["map_proof"] = world.other["map_proof"]
    report = world.judge(doc)
    _refused(report, "map_proof")
    assert f"for project {B}, not {A}" in report.report.failed()[0].detail


def test_project_claimed_absent_with_neighbours_that_are_not_adjacent(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["records"] = []
    doc["map_proof"] = {"right": world.other["map_proof"]["entry"]}
    _refused(world.judge(_reproved(world, doc)), "map_proof")


def test_withheld_record_swapped_for_another_leaf(world: World) -> None:
    """The public sees A's private record as a leaf hash; the server shows B's record there
    instead (a real leaf, at a real index between A's neighbours)."""
    doc = copy.deepcopy(world.public)
    at = next(n for n, r in enumerate(doc["records"]) if "entry" not in r)
    b = next(
        r for r in world.other["records"] if r["leaf_index"] < doc["records"][at]["leaf_index"]
    )
    before = doc["records"][at - 1]["leaf_index"]
    assert before < b["leaf_index"], "the world interleaves B between A's records"
    doc["records"][at] = {
        "leaf_index": b["leaf_index"],
        "leaf_hash": _leaf(b).hex(),
    }
    _refused(world.judge(_reproved(world, doc)), "prev_chain")


def test_stale_proof_says_as_of_when_and_is_refused_when_current_is_required(
    world: World,
) -> None:
    old = world.stale["checkpoint"]["tree_size"]
    new = world.current["checkpoint"]["tree_size"]
    report = world.judge(world.stale)
    assert report.level is Level.ANCHORED  # true as of its tree size
    assert (report.tree_size, report.count) == (old, 6)
    assert f"as of tree size {old}" in report.report.reason
    current = next(c for c in report.report.checks if c.name == "current")
    assert current.passed is None and f"anchored tree size {new} since {old}" in current.detail
    _refused(world.judge(world.stale, require_current=True), "current")
    _refused(world.judge(world.stale, min_tree_size=new), "as_of")
    assert world.judge(world.current, require_current=True, min_tree_size=new).verified


def test_stale_heads_statement_under_the_current_checkpoint(world: World) -> None:
    doc = copy.deepcopy(world.current)
    doc["heads"], doc["map_proof"] = world.stale["heads"], world.stale["map_proof"]
    _refused(world.judge(doc), "heads_statement")
