"""``GET /v1/projects/{code}/proof`` and ``sunlight verify-project``, on a real app and its
embedded chain: who sees what, the anchored heads statement, and the verdicts the CLI exits with."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.storage.heads import HeadsStore
from notary.completeness import parse_project_proof, verify_project_proof
from notary.multiproof import multi_inclusion_proof_from
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from tests.integration.api.conftest import Api

PROJECT = "XQ-2026-0042"
SUNLIGHT = str(Path(sys.executable).parent / "sunlight")


def _submit(api: Api, n: int, *, public: bool = True) -> None:
    meta = {"project": PROJECT, "stage": "implementation", "kind": "progress_report"}
    r = api.submit(meta={**meta, "data": {"n": n}, "public": public}, file=None)
    assert r.status_code == 201, r.text


def _judge(api: Api, doc: dict[str, Any]) -> Any:
    ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
    trust, chain = ctx.trust()
    return verify_project_proof(parse_project_proof(json.dumps(doc)), trust=trust, chain=chain)


def test_project_proof_route(api: Api) -> None:
    url = f"/v1/projects/{PROJECT}/proof"
    for n in range(3):
        _submit(api, n, public=n != 1)
    assert api.client.get(url).status_code == 202  # nothing anchored yet
    api.anchor()

    public = api.client.get(url).json()
    shown = ["entry" in r for r in public["records"]]
    assert shown == [True, False, True]
    report = _judge(api, public)
    assert report.level is Level.ANCHORED and report.count == 3, report.to_json()
    ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
    stored = HeadsStore(ctx.notary.log.engine).get(public["checkpoint"]["tree_size"])
    assert stored is not None and stored.model_dump(mode="json") == public["heads"]

    audited = api.client.get(url, headers=api.auth("auditor")).json()
    assert all("entry" in r for r in audited["records"])
    assert _judge(api, audited).level is Level.ANCHORED

    _submit(api, 3)  # not anchored yet: the proof stays as of the anchored size
    assert len(api.client.get(url).json()["records"]) == 3


def test_project_without_records_gets_a_proof_of_absence(api: Api) -> None:
    _submit(api, 0)
    api.anchor()
    doc = api.client.get("/v1/projects/XQ-2026-0001/proof").json()
    assert doc["records"] == [] and "entry" not in doc["map_proof"]
    report = _judge(api, doc)
    assert report.level is Level.ANCHORED and report.count == 0
    assert api.client.get("/v1/projects/not%20a%20code/proof").status_code == 404


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    return subprocess.run(
        [SUNLIGHT, "verify-project", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "COLUMNS": "200"},
    )


def test_verify_project_cli_exit_statuses(api: Api, tmp_path: Path) -> None:
    for n in range(4):
        _submit(api, n)
    api.anchor()
    doc = api.client.get(f"/v1/projects/{PROJECT}/proof").json()
    ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
    key = base64.b64encode(ctx.notary.key.public_key).decode()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(doc))
    doc["records"].pop()  # the last record withheld, the others proved again by the server
    indices = [r["leaf_index"] for r in doc["records"]]
    proof = multi_inclusion_proof_from(ctx.notary.log, indices, doc["checkpoint"]["tree_size"])
    bad.write_text(json.dumps({**doc, "inclusion_proof": [h.hex() for h in proof]}))

    verified = _run(str(good), "--log-key", key, "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    verdict = json.loads(verified.stdout)
    assert verdict["level"] == "verified_by_log" and verdict["count"] == 4
    assert verdict["as_of"]["tree_size"] == doc["checkpoint"]["tree_size"]

    refused = _run(str(bad), "--log-key", key)
    assert (
        refused.returncode == 1 and "4 records as of tree size 4, the proof has 3" in refused.stdout
    )
    assert _run(str(good)).returncode == 3  # no trust root
    assert _run(str(good), "--log-key", key, "--current").returncode == 1  # no chain to tell
    usage = _run(str(good), "--rpc-url", "http://127.0.0.1:9")
    assert usage.returncode == 2 and "--contract" in usage.stderr


def test_the_server_trusts_its_chain_for_the_manifest(api: Api) -> None:
    """The anchored manifest is what authenticates the heads for a verifier with the chain alone."""
    _submit(api, 0)
    api.anchor()
    doc = api.client.get(f"/v1/projects/{PROJECT}/proof").json()
    ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
    _, chain = ctx.trust()
    assert chain is not None
    trusted = TrustedChain(chain_id=chain.chain_id, contract=chain.contract_address)
    proof = parse_project_proof(json.dumps(doc))
    report = verify_project_proof(proof, trust=TrustRoot(chains=(trusted,)), chain=chain)
    assert report.level is Level.ANCHORED
    manifest = next(c for c in report.report.checks if c.name == "manifest")
    assert manifest.passed and proof.heads.statement.cid() in manifest.detail
