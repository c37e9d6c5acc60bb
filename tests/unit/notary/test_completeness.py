"""Project proofs checked two ways: by notary.completeness, and by an independent re-implementation
(tests/support/reference_completeness.py) that recomputes completeness, head included, from the
document alone. They must agree on every genuine document and every mutation of it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.service.notary import Notary
from notary.completeness import parse_project_proof, verify_project_proof
from notary.errors import MalformedProofError, VerificationError
from notary.headsmap import HeadsMap, MapProof, verify_map_proof
from notary.trust import TrustRoot
from notary.verdict import Level
from tests.support import reference_completeness as reference
from tests.support.project_log import add_records, open_notary, proof_of

P, Q = "XQ-2026-0042", "XQ-2026-0099"

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def notary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notary]:
    notary = open_notary(Path(tmp_path_factory.mktemp("completeness")))
    add_records(notary, P, 4)
    add_records(notary, Q, 3)
    add_records(notary, P, 5, private=(1,))
    add_records(notary, None, 2)
    yield notary
    notary.close()


@pytest.fixture(scope="module")
def genuine(notary: Notary) -> Doc:
    return proof_of(notary, P)


@pytest.fixture(scope="module")
def redacted(notary: Notary) -> Doc:
    return proof_of(notary, P, visible=lambda s: s.public)


def _notary_says(doc: Doc, key: bytes) -> bool:
    try:
        proof = parse_project_proof(json.dumps(doc))
    except MalformedProofError:
        return False
    return verify_project_proof(proof, trust=TrustRoot.pin(key)).level is Level.LOG_VERIFIED


def _reference_says(doc: Doc, key: bytes) -> bool:
    try:
        reference.check(doc, log_key=key)
    except (reference.Incomplete, KeyError, ValueError, TypeError):
        return False
    return True


def _flip(hex_text: str) -> str:
    return f"{int(hex_text[0], 16) ^ 1:x}{hex_text[1:]}"


def _mutate(doc: Doc, change: Callable[[Doc], None]) -> Doc:
    changed = copy.deepcopy(doc)
    change(changed)
    return changed


MUTATIONS: dict[str, Callable[[Doc], None]] = {
    "drop-last": lambda d: d["records"].pop(),
    "drop-first": lambda d: d["records"].pop(0),
    "drop-middle": lambda d: d["records"].pop(4),
    "drop-all": lambda d: d["records"].clear(),
    "swap-0-1": lambda d: d["records"].insert(0, d["records"].pop(1)),
    "duplicate-last": lambda d: d["records"].append(d["records"][-1]),
    "changed-data": lambda d: d["records"][3].update(
        entry=d["records"][3]["entry"].replace('"n":3', '"n":7')
    ),
    "changed-prev": lambda d: d["records"][5].update(
        entry=re.sub('"prev":"[0-9a-f]+"', '"prev":null', d["records"][5]["entry"])
    ),
    "entry-as-leaf-hash-of-another": lambda d: d["records"].__setitem__(
        2, {"leaf_index": d["records"][2]["leaf_index"], "leaf_hash": "ab" * 32}
    ),
    "inclusion-bit-@0": lambda d: d["inclusion_proof"].__setitem__(
        0, _flip(d["inclusion_proof"][0])
    ),
    "inclusion-one-short": lambda d: d["inclusion_proof"].pop(),
    "inclusion-one-more": lambda d: d["inclusion_proof"].append("00" * 32),
    "map-count-minus-1": lambda d: d["map_proof"]["entry"]["entry"].update(
        count=d["map_proof"]["entry"]["entry"]["count"] - 1
    ),
    "map-head-hash-bit": lambda d: d["map_proof"]["entry"]["entry"].update(
        head_hash=_flip(d["map_proof"]["entry"]["entry"]["head_hash"])
    ),
    "map-path-bit-@0": lambda d: d["map_proof"]["entry"]["path"].__setitem__(
        0, _flip(d["map_proof"]["entry"]["path"][0])
    ),
    "statement-projects-plus-1": lambda d: d["heads"]["statement"].update(
        projects=d["heads"]["statement"]["projects"] + 1
    ),
    "statement-heads-root-bit": lambda d: d["heads"]["statement"].update(
        heads_root=_flip(d["heads"]["statement"]["heads_root"])
    ),
    "checkpoint-size-minus-1": lambda d: d["checkpoint"].update(
        tree_size=d["checkpoint"]["tree_size"] - 1
    ),
}


def test_genuine_document_agrees(notary: Notary, genuine: Doc, redacted: Doc) -> None:
    key = notary.key.public_key
    assert _notary_says(genuine, key) and _reference_says(genuine, key)
    assert reference.check(genuine, log_key=key) == "9 records, head 11, as of 14"
    # The public's copy: the private record as a leaf hash; both still bind it by count and head.
    assert _notary_says(redacted, key) and _reference_says(redacted, key)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_mutation_is_refused_by_both(notary: Notary, genuine: Doc, name: str) -> None:
    doc = _mutate(genuine, MUTATIONS[name])
    key = notary.key.public_key
    assert (_notary_says(doc, key), _reference_says(doc, key)) == (False, False)


def test_dropping_any_one_record_is_refused_by_both(notary: Notary, redacted: Doc) -> None:
    key = notary.key.public_key
    for n in range(len(redacted["records"])):
        doc = copy.deepcopy(redacted)
        del doc["records"][n]
        assert (_notary_says(doc, key), _reference_says(doc, key)) == (False, False), n


def test_a_proof_before_the_last_records_is_true_as_of_its_own_size(notary: Notary) -> None:
    """An older document is not a forgery: both say what it proves, as of its tree size."""
    older = proof_of(notary, Q)
    add_records(notary, Q, 1)
    newer = proof_of(notary, Q)
    key = notary.key.public_key
    assert reference.check(older, log_key=key).endswith(f"as of {older['checkpoint']['tree_size']}")
    assert len(newer["records"]) == len(older["records"]) + 1
    assert _notary_says(older, key) and _notary_says(newer, key)


# --- the heads map ---------------------------------------------------------------------------


def _map(*projects: str) -> HeadsMap:
    return HeadsMap({p: (i, bytes([i]) * 32, i + 1) for i, p in enumerate(projects)})


@pytest.mark.parametrize("absent", ["A-0", "B-5", "Z-9"])
def test_absence_at_the_start_middle_and_end_of_the_map(absent: str) -> None:
    heads = _map("B-1", "C-2", "Y-3")
    statement = heads.statement(log_id="0" * 64, tree_size=9, root_hash=bytes(32))
    assert verify_map_proof(absent, heads.proof(absent), statement) is None
    present = verify_map_proof("C-2", heads.proof("C-2"), statement)
    assert present is not None and present.count == 2


def test_absence_in_an_empty_map() -> None:
    heads = _map()
    statement = heads.statement(log_id="0" * 64, tree_size=0, root_hash=bytes(32))
    assert verify_map_proof("A-1", MapProof(), statement) is None


def test_absence_of_a_present_project_cannot_be_proved() -> None:
    heads = _map("B-1", "C-2", "Y-3")
    statement = heads.statement(log_id="0" * 64, tree_size=9, root_hash=bytes(32))
    neighbours = heads.proof("C-3")  # C-2 and Y-3: adjacent, but C-2 is not before "C-2"
    with pytest.raises(VerificationError):
        verify_map_proof("C-2", neighbours, statement)
    around = MapProof(left=heads.proof("B-1").entry, right=heads.proof("Y-3").entry)
    with pytest.raises(VerificationError, match="not adjacent"):
        verify_map_proof("C-2", around, statement)
    # The end of the map is where the statement's count says, not where the prover says.
    with pytest.raises(VerificationError, match="not adjacent"):
        verify_map_proof("Z-9", MapProof(left=heads.proof("C-2").entry), statement)
