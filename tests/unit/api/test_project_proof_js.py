"""The browser's judge of project proofs (api/static/projectproof.js), run with Node against the
Python reference, :func:`notary.completeness.verify_project_proof`.

The forgeries come first: each must be refused by the page as by the library, failing the same
checks in the same order, with the same level; a key or heads statement the proof brings never
makes a check pass. Proofs are made by the service's own code on a real (SQLite) log.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.service.notary import Notary
from notary.completeness import parse_project_proof, verify_project_proof
from notary.errors import MalformedProofError
from notary.trust import TRUST_FORMAT, parse_trust_root
from tests.support.node import run_node
from tests.support.project_log import (
    FORGER,
    add_records,
    forged_heads,
    open_notary,
    proof_of,
    reproved,
)

RUNNER = Path(__file__).with_name("project_proof_js_runner.mjs")
A, B = "XQ-2026-0042", "XQ-2026-0099"


@dataclass
class World:
    notary: Notary
    full: dict[str, Any]  # A as an auditor sees it
    public: dict[str, Any]  # A as the public sees it: record 3 withheld
    other: dict[str, Any]  # B
    trust: dict[str, Any]  # this log's sunlight-trust/1 document


def _trust_doc(public_key: bytes) -> dict[str, Any]:
    log_id = hashlib.sha256(public_key).hexdigest()
    entry = {"name": "test", "log_id": log_id, "public_key": base64.b64encode(public_key).decode()}
    return {"format": TRUST_FORMAT, "logs": [entry]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    notary = open_notary(tmp_path_factory.mktemp("project-proof-js"))
    add_records(notary, A, 3)
    add_records(notary, B, 2)
    add_records(notary, A, 3, private=(0,))  # A's record 3 is private
    add_records(notary, None, 2)
    full = proof_of(notary, A)
    public = proof_of(notary, A, visible=lambda s: s.public)
    yield World(notary, full, public, proof_of(notary, B), _trust_doc(notary.key.public_key))
    notary.close()


def _run_js(cases: Sequence[tuple[dict[str, Any], dict[str, Any] | None]]) -> list[dict[str, Any]]:
    payload = [{"proof_text": json.dumps(doc), "trust": trust} for doc, trust in cases]
    out: list[dict[str, Any]] = run_node(str(RUNNER), stdin=json.dumps(payload))
    return out


def _python(doc: dict[str, Any], trust: dict[str, Any] | None) -> tuple[str, list[str]]:
    root = parse_trust_root(trust) if trust is not None else None
    report = verify_project_proof(parse_project_proof(json.dumps(doc)), trust=root)
    return report.level.value, [c.name for c in report.report.failed()]


def _same_as_python(
    cases: Sequence[tuple[dict[str, Any], dict[str, Any] | None]],
) -> list[dict[str, Any]]:
    judged = _run_js(cases)
    for (doc, trust), js in zip(cases, judged, strict=True):
        assert (js["level"], js["failed"]) == _python(doc, trust), js
    return judged


def _entry(doc: dict[str, Any], n: int) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(doc["records"][n]["entry"])
    return entry


def test_forgeries_fail_the_check_the_library_fails(world: World) -> None:
    full, trust = world.full, world.trust
    changed = copy.deepcopy(full)
    record = _entry(full, 1)
    changed["records"][1]["entry"] = json.dumps(
        {**record, "data": {**record["data"], "n": 99}}, separators=(",", ":")
    )
    dropped_last = reproved(world.notary.log, {**full, "records": full["records"][:-1]})
    middle = {**full, "records": full["records"][:2] + full["records"][3:]}
    dropped_middle = reproved(world.notary.log, middle)
    reordered = copy.deepcopy(full)
    reordered["records"][0], reordered["records"][1] = full["records"][1], full["records"][0]
    # the last record dropped, with a heads map that agrees, signed by the forger's own key
    last = full["records"][-2]
    last_leaf = hashlib.sha256(b"\x00" + last["entry"].encode()).digest()
    forged = forged_heads(
        dropped_last, {A: (last["leaf_index"], last_leaf, len(full["records"]) - 1)}, A
    )
    foreign = copy.deepcopy(full)
    foreign["records"][2] = world.other["records"][0]  # leaf 3, between A's leaves 1 and 5
    foreign = reproved(world.notary.log, foreign)
    wrong_map = {**full, "map_proof": world.other["map_proof"]}
    swapped = copy.deepcopy(world.public)
    withheld = next(r for r in swapped["records"] if "leaf_hash" in r)
    withheld["leaf_hash"] = hashlib.sha256(
        b"\x00" + world.other["records"][0]["entry"].encode()
    ).hexdigest()
    cases = [
        (changed, trust),
        (dropped_last, trust),
        (dropped_middle, trust),
        (reordered, trust),
        (forged, trust),
        (foreign, trust),
        (wrong_map, trust),
        (swapped, trust),
    ]
    judged = _same_as_python(cases)
    first = [j["failed"][0] for j in judged]
    assert first == [
        "inclusion",
        "head",
        "prev_chain",
        "records",
        "heads_signature",
        "records",
        "map_proof",
        "inclusion",
    ]
    assert all(j["level"] == "not_verified" for j in judged)


def test_a_key_the_page_did_not_pin_never_verifies(world: World) -> None:
    other_key = FORGER.public_key().public_bytes_raw()
    judged = _same_as_python([(world.full, None), (world.full, _trust_doc(other_key))])
    assert judged[0]["level"] == "not_authenticated"
    assert judged[0]["checks"]["checkpoint_signature"] is None
    assert judged[1]["level"] == "not_verified" and judged[1]["failed"] == ["log"]


def test_malformed_proofs_are_refused_before_any_check(world: World) -> None:
    bad_format = {**world.full, "format": "sunlight-proof/1"}
    extra = copy.deepcopy(world.full)
    extra["heads"]["statement"]["note"] = "x"
    both = copy.deepcopy(world.full)
    both["records"][0]["leaf_hash"] = "00" * 32
    for doc in (bad_format, extra, both):
        with pytest.raises(MalformedProofError):
            parse_project_proof(json.dumps(doc))
    judged = _run_js([(d, world.trust) for d in (bad_format, extra, both)])
    assert [j["failed"] for j in judged] == [["proof"]] * 3
    assert all(j["records"] == [] for j in judged)


def test_genuine_proofs_verify_and_withheld_records_stay_unread(world: World) -> None:
    judged = _same_as_python([(world.full, world.trust), (world.public, world.trust)])
    full, public = judged
    assert full["level"] == public["level"] == "verified_by_log"
    assert full["checks"]["prev_chain"] is True and public["checks"]["prev_chain"] is None
    assert full["checks"]["heads_signature"] is True
    assert [r["shown"] for r in public["records"]] == [True, True, True, False, True, True]
    assert [r["leaf_index"] for r in public["records"]] == [
        r["leaf_index"] for r in world.full["records"]
    ]
