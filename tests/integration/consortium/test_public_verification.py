"""A proof bundle is checked against the public node, which the notary does not run, with the
notary's own node down: `sunlight verify` and verify_bundle over a ChainView of that node. A
bundle of a rewritten log, anchored on a contract the notary alone controls, is refused there."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

from eth_account import Account
from typer.testing import CliRunner

from anchors import open_reader
from anchors.chain import connect_rpc, deploy_contract
from api.cli import app as sunlight
from api.service.notary import Notary
from api.storage.anchors import AnchorStore
from notary.bundle import parse_bundle, verify_bundle
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from scripts.consortium import governance, network
from tests.integration.anchors.helpers import add_records, make_anchorer, make_notary
from tests.integration.consortium.helpers import anchor_until_confirmed, notary_on, public_reader
from tests.integration.consortium.tally import tally


def _bundle_file(notary: Notary, record_id: str, path: Path) -> Path:
    stored = notary.log.get(record_id)
    anchor = AnchorStore(notary.log.engine).covering(stored.index)
    assert anchor is not None
    bundle = notary.bundle(
        stored, checkpoint=notary.log.checkpoint(anchor.tree_size), anchor=anchor.bundle_anchor()
    )
    path.write_text(json.dumps(bundle.to_json()))
    return path


def _verify(bundle: Path, notary: Notary, net: network.Consortium, contract: str) -> dict[str, Any]:
    done = CliRunner().invoke(
        sunlight,
        [
            "verify", str(bundle), "--json",
            "--log-key", base64.b64encode(notary.key.public_key).decode(),
            "--rpc-url", net.public.url,
            "--contract", contract,
            "--chain-id", str(net.chain_id),
            "--confirmations", str(network.CONFIRMATIONS),
        ],
    )  # fmt: skip
    report: dict[str, Any] = json.loads(done.output)
    report["exit"] = done.exit_code
    return report


def test_a_rewritten_log_anchored_elsewhere_is_refused_on_the_public_node(
    net: network.Consortium, deployment: governance.Deployment, anchor_key: str, tmp_path: Path
) -> None:
    notary, anchorer = notary_on(net, deployment, anchor_key, tmp_path / "data")
    add_records(notary, 50)
    anchor_until_confirmed(anchorer, notary)
    # The notary, with its own signing key, rewrites the log and anchors it on a contract it
    # deployed and alone administers, on the same chain.
    (tmp_path / "forged").mkdir()
    shutil.copy(tmp_path / "data" / "notary_key.pem", tmp_path / "forged" / "notary_key.pem")
    forger = make_notary(tmp_path / "forged", anchor_confirmations=network.CONFIRMATIONS)
    assert forger.key.public_key == notary.key.public_key
    forged_ids = add_records(forger, 50, prefix="rewritten")
    own = net.validators[0]
    key = Account.from_key(anchor_key)
    rogue = deploy_contract(
        governance.web3_of(own.url), key, admin=key.address, anchorer=key.address
    )
    rogue_anchorer = make_anchorer(forger, connect_rpc(own.url, rogue, private_key=anchor_key))
    anchor_until_confirmed(rogue_anchorer, forger)
    forged = _bundle_file(forger, forged_ids[7], tmp_path / "forged.json")

    report = _verify(forged, notary, net, deployment.contract)
    assert report["exit"] == 1 and report["level"] == "not_verified", report
    failed = {c["check"] for c in report["checks"] if c["passed"] is False}
    assert "anchor" in failed, report
    # Against the contract it names, the same bundle "verifies": the contract is the trust root.
    assert _verify(forged, notary, net, rogue)["level"] == "anchored"
    forger.close()
    notary.close()


def test_a_bundle_verifies_against_the_public_node_with_the_notarys_node_down(
    net: network.Consortium, deployment: governance.Deployment, anchor_key: str, tmp_path: Path
) -> None:
    notary, anchorer = notary_on(net, deployment, anchor_key, tmp_path / "data")
    ids = add_records(notary, 50)
    anchor_until_confirmed(anchorer, notary)
    ids += add_records(notary, 50)
    anchor_until_confirmed(anchorer, notary)
    net.wait_for_block(int(net.validators[0].rpc("eth_blockNumber"), 16))  # the public node has it
    net.stop_node(net.validators[0].name)  # verification needs nothing of the notary's

    for leaf in (7, 77):
        bundle = _bundle_file(notary, ids[leaf], tmp_path / f"{leaf}.json")
        report = _verify(bundle, notary, net, deployment.contract)
        assert report["exit"] == 0 and report["level"] == "anchored", report
        checks = {c["check"]: c["passed"] for c in report["checks"]}
        assert checks["anchor"] is checks["anchor_tx"] is checks["inclusion"] is True

        chain = TrustedChain(
            chain_id=net.chain_id,
            contract=deployment.contract,
            rpc_url=net.public.url,
            confirmations=network.CONFIRMATIONS,
        )
        verdict = verify_bundle(
            parse_bundle(bundle.read_bytes()),
            trust=TrustRoot.pin(notary.key.public_key, chain=chain),
            chain=open_reader(net.public.url, deployment.contract),
        )
        assert verdict.level is Level.ANCHORED
    figures = tally(
        "bundle verified on the public node", notary, ids, public_reader(net, deployment),
        anchorer.backend.sender,
    )  # fmt: skip
    assert (figures.anchored, figures.lost, figures.doubled) == (100, 0, 0)
    notary.close()
