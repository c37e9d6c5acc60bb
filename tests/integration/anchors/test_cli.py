"""`sunlight contract deploy|status` and `sunlight anchorer --once` through typer, on anvil."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli.chain import anchorer_command, contract_app
from tests.integration.anchors import nodes
from tests.integration.anchors.helpers import add_records, make_notary

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(contract_app, name="contract")
    app.command("anchorer")(anchorer_command)
    return app


def test_deploy_status_and_anchor_once(
    anvil_node: nodes.Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app()
    key = nodes.ANVIL_KEYS[2]
    done = runner.invoke(
        app, ["contract", "deploy", "--rpc-url", anvil_node.url, "--private-key", key]
    )
    assert done.exit_code == 0, done.output
    address = done.output.strip().splitlines()[-1]
    assert address.startswith("0x") and len(address) == 42

    notary = make_notary(tmp_path)
    add_records(notary, 25)
    notary.close()
    monkeypatch.setenv("SUNLIGHT_CHAIN_RPC_URL", anvil_node.url)
    monkeypatch.setenv("SUNLIGHT_CONTRACT_ADDRESS", address)
    monkeypatch.setenv("SUNLIGHT_ANCHOR_PRIVATE_KEY", key)
    done = runner.invoke(app, ["anchorer", "--data-dir", str(tmp_path), "--once"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output.strip().splitlines()[-1])
    assert result["anchored"] and result["status"] == "confirmed" and result["tree_size"] == 25

    done = runner.invoke(
        app, ["contract", "status", "--rpc-url", anvil_node.url, "--contract", address]
    )
    assert done.exit_code == 0, done.output
    status = json.loads(done.output)
    assert status["tree_size"] == 25 and status["chain_id"] == 31337


def test_deploy_with_another_anchorer_gives_the_deployer_no_anchoring_role(
    anvil_node: nodes.Node,
) -> None:
    from eth_account import Account

    from anchors.chain import connect_rpc
    from notary.errors import ContractRevertError

    other = Account.from_key(nodes.ANVIL_KEYS[1]).address
    done = runner.invoke(
        _app(),
        [
            "contract",
            "deploy",
            "--rpc-url",
            anvil_node.url,
            "--private-key",
            nodes.ANVIL_KEYS[2],
            "--anchorer",
            other,
        ],
    )
    assert done.exit_code == 0, done.output
    address = done.output.strip().splitlines()[-1]
    deployer = connect_rpc(anvil_node.url, address, private_key=nodes.ANVIL_KEYS[2])
    with pytest.raises(ContractRevertError) as e:
        deployer.sign_anchor(1, b"\x01" * 32, [], "")
    assert e.value.error == "AccessControlUnauthorizedAccount"
    assert "grant it ANCHORER_ROLE" in str(e.value)
    anchorer = connect_rpc(anvil_node.url, address, private_key=nodes.ANVIL_KEYS[1])
    anchorer.sign_anchor(1, b"\x01" * 32, [], "")  # simulates fine


def test_sunlight_verify_against_anvil_checks_root_at(anvil_chain, tmp_path: Path) -> None:
    """10,000 records over four checkpoints on anvil; bundles verify with `sunlight verify
    --rpc-url` (rootAt read from the node), and a corrupted proof is refused there and by the
    contract's verifyInclusion()."""
    from api.cli import app as sunlight
    from api.storage.anchors import AnchorStore
    from tests.integration.anchors.helpers import make_anchorer

    notary = make_notary(tmp_path / "data", anchor_max_batch=2500)
    anchorer = make_anchorer(notary, anvil_chain.backend)
    ids: list[str] = []
    for _ in range(4):
        ids += add_records(notary, 2500)
        assert anchorer.run_once() is not None
    store = AnchorStore(notary.log.engine)
    reader = anvil_chain.backend
    trust = [
        "--log-key",
        base64.b64encode(notary.key.public_key).decode(),
        "--rpc-url",
        anvil_chain.node.url,
        "--contract",
        reader.contract_address,
    ]
    for leaf_index in (0, 2500, 6789, 9999):
        anchor = store.covering(leaf_index)
        assert anchor is not None
        bundle = notary.bundle(
            notary.log.get(ids[leaf_index]),
            checkpoint=notary.log.checkpoint(anchor.tree_size),
            anchor=anchor.bundle_anchor(),
        ).to_json()
        path = tmp_path / f"{leaf_index}.json"
        path.write_text(json.dumps(bundle))
        done = runner.invoke(sunlight, ["verify", str(path), *trust, "--json"])
        assert done.exit_code == 0, done.output
        report = json.loads(done.output)
        assert report["level"] == "anchored", report
        checks = {c["check"]: c["passed"] for c in report["checks"]}
        assert checks["anchor"] is checks["anchor_tx"] is checks["inclusion"] is True

        proof = bundle["inclusion_proof"]
        proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
        path.write_text(json.dumps(bundle))
        done = runner.invoke(sunlight, ["verify", str(path), *trust, "--json"])
        assert done.exit_code == 1, done.output
        failed = {c["check"] for c in json.loads(done.output)["checks"] if c["passed"] is False}
        assert failed == {"inclusion"}
        assert not reader.verify_inclusion(
            bytes.fromhex(bundle["leaf_hash"]),
            leaf_index,
            anchor.tree_size,
            [bytes.fromhex(p) for p in proof],
        )
    notary.close()


def test_a_contract_address_without_a_contract_is_a_one_line_error(
    anvil_chain, tmp_path: Path
) -> None:
    """`--contract` naming an address with no code (a typo, an account, another chain's contract):
    a clear error that says so, not a traceback from decoding an empty eth_call answer."""
    from eth_account import Account

    from api.storage.anchors import AnchorStore
    from tests.integration.anchors.helpers import make_anchorer
    from tests.support.server import cli

    notary = make_notary(tmp_path / "data")
    anchorer = make_anchorer(notary, anvil_chain.backend)
    (rid,) = add_records(notary, 1)
    assert anchorer.run_once() is not None
    anchor = AnchorStore(notary.log.engine).covering(0)
    assert anchor is not None
    bundle = notary.bundle(
        notary.log.get(rid),
        checkpoint=notary.log.checkpoint(anchor.tree_size),
        anchor=anchor.bundle_anchor(),
    )
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle.to_json()))
    notary.close()

    nothing = Account.create().address  # an account: no code there
    url = anvil_chain.node.url
    for args in (
        ["verify", str(path), "--rpc-url", url, "--contract", nothing],
        ["contract", "status", "--rpc-url", url, "--contract", nothing],
    ):
        done = cli(*args, data_dir=tmp_path / "cli")
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        message = " ".join(done.stderr.split())
        assert f"no contract at {nothing} on chain 31337" in message, done.stderr
        assert "--contract" in message, done.stderr
