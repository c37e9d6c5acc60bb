"""The forgery suite: what an attacker would hand us, judged by the library, the CLI and the API.

On one real node (anvil) live three parties:
- the genuine log: a notary key, its EvidenceAnchor contract, records anchored there;
- a second real Sunlight instance: its own key and contract, its records anchored there;
- a forger: a fresh key, a record never notarized in a one-leaf tree, a checkpoint signed by the
  fresh key (carried in the bundle), and the forger's own EvidenceAnchor on the same chain with the
  forged root anchored in a real transaction.

Each forgery must be refused with the right reason by every verifier; genuine bundles verify at
the right level, offline (verified by the log) and against the chain (anchored). The verification
page is judged with the same bundles in tests/e2e.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web3 import Web3

from anchors.chain import Web3Chain, connect_rpc, deploy_contract
from api.app import create_app
from api.cli import app as sunlight
from api.service.notary import Notary
from api.settings import Settings
from notary.bundle import ProofBundle, make_bundle, verify_bundle
from notary.merkle import MerkleTree
from notary.records import Record
from notary.signing import NotaryKey
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from tests.integration.anchors import nodes
from tests.integration.anchors.helpers import add_records, make_anchorer, make_notary

pytestmark = pytest.mark.chain


@dataclass
class Log:
    notary: Notary
    chain: Web3Chain
    key: str  # the anchoring account's private key
    bundle: ProofBundle

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.notary.key.public_key).decode()


def _genuine_log(node: nodes.Node, data_dir: Path, key: str) -> Log:
    w3 = Web3(Web3.HTTPProvider(node.url))
    account = Account.from_key(key)
    address = deploy_contract(w3, account, admin=account.address, anchorer=account.address)
    chain = connect_rpc(node.url, address, private_key=key)
    notary = make_notary(data_dir, chain_rpc_url=node.url, contract_address=address)
    ids = add_records(notary, 7)
    result = make_anchorer(notary, chain).run_once(force=True)
    assert result is not None and result.status == "confirmed"
    node.call("evm_mine")  # a block on top: the anchor has two confirmations
    from api.storage.anchors import AnchorStore

    anchor = AnchorStore(notary.log.engine).covering(3)
    assert anchor is not None
    bundle = notary.bundle(
        notary.log.get(ids[3]),
        checkpoint=notary.log.checkpoint(anchor.tree_size),
        anchor=anchor.bundle_anchor(),
    )
    return Log(notary, chain, key, bundle)


@dataclass
class World:
    node: nodes.Node
    genuine: Log
    second: Log
    forged: dict[str, dict[str, Any]]


def _forged_bundle(node: nodes.Node, genuine: Log) -> dict[str, dict[str, Any]]:
    key = NotaryKey.from_seed(b"\x66" * 32)
    entry = Record(
        project="XQ-2026-0042",
        kind="payment_request",
        data={"amount_fen": 98_000_000, "payee": "forger"},
        submitter="township",
        signatures=(),
        received_at="2026-11-23T00:01:03Z",
    ).canonical()
    tree = MerkleTree()
    tree.append(entry)
    cp = key.sign_checkpoint(1, tree.root(), "2026-11-23T00:10:00Z")
    bare = make_bundle(
        entry=entry, leaf_index=0, checkpoint=cp, inclusion_proof=[], log_public_key=key.public_key
    ).to_json()
    # The forger's own EvidenceAnchor on the same chain, with the forged root anchored for real.
    forger = Account.from_key(nodes.ANVIL_KEYS[5])
    w3 = Web3(Web3.HTTPProvider(node.url))
    address = deploy_contract(w3, forger, admin=forger.address, anchorer=forger.address)
    theirs = connect_rpc(node.url, address, private_key=nodes.ANVIL_KEYS[5])
    tx = theirs.send_raw(theirs.sign_anchor(1, tree.root(), [], "").raw)
    node.call("evm_mine")
    receipt = theirs.receipt(tx)
    assert receipt is not None and receipt.status == 1
    own_anchor = {
        "chain_id": 31337,
        "contract": address,
        "tx_hash": receipt.tx_hash,
        "block_number": receipt.block_number,
        "block_hash": receipt.block_hash,
    }
    real = genuine.bundle.to_json()
    return {
        "forged-no-anchor": bare,
        "forged-another-chain-id": bare | {"anchor": {**real["anchor"], "chain_id": 1}},
        "forged-own-contract": bare | {"anchor": own_anchor},
        # A genuine bundle whose anchor names the forger's (real, successful) transaction.
        "genuine-key-tampered-anchor-tx": real
        | {"anchor": {**real["anchor"], **{k: own_anchor[k] for k in ("tx_hash", "block_hash")}}},
        "genuine-key-tampered-block": real
        | {"anchor": {**real["anchor"], "block_number": real["anchor"]["block_number"] + 1}},
    }


@pytest.fixture(scope="module")
def world(anvil_node: nodes.Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    genuine = _genuine_log(anvil_node, tmp_path_factory.mktemp("genuine"), nodes.ANVIL_KEYS[3])
    second = _genuine_log(anvil_node, tmp_path_factory.mktemp("second"), nodes.ANVIL_KEYS[4])
    forged = _forged_bundle(anvil_node, genuine)
    forged["second-instance-checkpoint"] = second.bundle.to_json()
    yield World(anvil_node, genuine, second, forged)
    genuine.notary.close()
    second.notary.close()


# What each verifier must answer, per trust root: (level, first failing check or None).
PINNED_AND_CHAIN: dict[str, tuple[str, str | None]] = {
    "forged-no-anchor": ("not_verified", "log"),
    "forged-another-chain-id": ("not_verified", "log"),
    "forged-own-contract": ("not_verified", "log"),
    "second-instance-checkpoint": ("not_verified", "log"),
    "genuine-key-tampered-anchor-tx": ("not_verified", "anchor_tx"),
    "genuine-key-tampered-block": ("not_verified", "anchor_tx"),
}
CHAIN_ONLY: dict[str, tuple[str, str | None]] = {
    "forged-no-anchor": ("not_authenticated", None),
    "forged-another-chain-id": ("not_verified", "anchor"),
    "forged-own-contract": ("not_verified", "anchor"),
    "second-instance-checkpoint": ("not_verified", "anchor"),
    "genuine-key-tampered-anchor-tx": ("not_verified", "anchor_tx"),
    "genuine-key-tampered-block": ("not_verified", "anchor_tx"),
}
NO_TRUST: dict[str, tuple[str, str | None]] = dict.fromkeys(
    PINNED_AND_CHAIN, ("not_authenticated", None)
)


def _verdict(report: dict[str, Any]) -> tuple[str, str | None]:
    failed = [c["check"] for c in report["checks"] if c["passed"] is False]
    return report["level"], failed[0] if failed else None


def _trusted_chain(log: Log) -> TrustedChain:
    return TrustedChain(chain_id=31337, contract=log.chain.contract_address)


# --- the library ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PINNED_AND_CHAIN))
def test_library_refuses_each_forgery(world: World, name: str) -> None:
    from notary.bundle import parse_bundle

    bundle = parse_bundle(json.dumps(world.forged[name]))
    g = world.genuine
    reader = connect_rpc(world.node.url, g.chain.contract_address)
    pinned = TrustRoot.pin(g.notary.key.public_key, chain=_trusted_chain(g))
    chain_only = TrustRoot(chains=(_trusted_chain(g),))
    for trust, want in ((pinned, PINNED_AND_CHAIN), (chain_only, CHAIN_ONLY), (None, NO_TRUST)):
        report = verify_bundle(bundle, trust=trust, chain=reader)
        assert not report.verified
        assert _verdict(report.to_json()) == want[name], (name, report.checks)


def test_library_verifies_genuine_bundles_at_the_right_level(world: World) -> None:
    g = world.genuine
    reader = connect_rpc(world.node.url, g.chain.contract_address)
    pinned = TrustRoot.pin(g.notary.key.public_key, chain=_trusted_chain(g))
    assert verify_bundle(g.bundle, trust=pinned, chain=reader).level is Level.ANCHORED
    offline = verify_bundle(g.bundle, trust=pinned)
    assert offline.level is Level.LOG_VERIFIED and offline.verified
    chain_only = TrustRoot(chains=(_trusted_chain(g),))
    assert verify_bundle(g.bundle, trust=chain_only, chain=reader).level is Level.ANCHORED
    deeper = TrustRoot.pin(
        g.notary.key.public_key,
        chain=_trusted_chain(g).model_copy(update={"confirmations": 1000}),
    )
    young = verify_bundle(g.bundle, trust=deeper, chain=reader)
    assert young.level is Level.LOG_VERIFIED and "of 1000 confirmations" in young.reason


# --- the CLI ------------------------------------------------------------------------------------

runner = CliRunner()


def _cli(tmp_path: Path, bundle: dict[str, Any], *trust: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    done = runner.invoke(sunlight, ["verify", str(path), *trust, "--json"])
    return done.exit_code, json.loads(done.output)


def _trust_file(tmp_path: Path, world: World) -> Path:
    g = world.genuine
    doc = {
        "format": "sunlight-trust/1",
        "logs": [
            {
                "name": "genuine county",
                "public_key": g.public_key_b64,
                "chain": {
                    "chain_id": 31337,
                    "contract": g.chain.contract_address,
                    "rpc_url": world.node.url,
                },
            }
        ],
    }
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("name", sorted(PINNED_AND_CHAIN))
def test_cli_refuses_each_forgery(world: World, tmp_path: Path, name: str) -> None:
    g = world.genuine
    chain = ["--rpc-url", world.node.url, "--contract", g.chain.contract_address]
    cases = [
        (["--log-key", g.public_key_b64, *chain], PINNED_AND_CHAIN),
        (["--trust", str(_trust_file(tmp_path, world))], PINNED_AND_CHAIN),
        (chain, CHAIN_ONLY),
        ([], NO_TRUST),
    ]
    for args, want in cases:
        code, report = _cli(tmp_path, world.forged[name], *args)
        assert _verdict(report) == want[name], (name, args, report)
        assert code == (3 if want[name][0] == "not_authenticated" else 1)


def test_cli_verifies_genuine_bundles_and_names_its_trust_root(
    world: World, tmp_path: Path
) -> None:
    g = world.genuine
    bundle = g.bundle.to_json()
    code, report = _cli(tmp_path, bundle, "--trust", str(_trust_file(tmp_path, world)))
    assert (code, report["level"]) == (0, "anchored"), report
    assert report["trust"]["log_id"] == g.notary.key.log_id
    code, report = _cli(tmp_path, bundle, "--log-key", g.public_key_b64)
    assert (code, report["level"]) == (0, "verified_by_log")
    code, report = _cli(tmp_path, bundle)
    assert (code, report["level"]) == (3, "not_authenticated") and report["verified"] is False


def test_cli_refuses_a_half_named_chain(world: World, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(world.genuine.bundle.to_json()))
    done = runner.invoke(sunlight, ["verify", str(path), "--rpc-url", world.node.url])
    assert done.exit_code != 0 and "--contract" in str(done.exception or done.output)


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[TestClient]:
    g = world.genuine
    settings = Settings(
        data_dir=g.notary.settings.data_dir,
        chain_rpc_url=world.node.url,
        contract_address=g.chain.contract_address,
        anchor_private_key=g.key,
    )
    with TestClient(create_app(settings, run_anchorer=False), base_url="http://localhost") as c:
        yield c


@pytest.mark.parametrize("name", sorted(PINNED_AND_CHAIN))
def test_api_refuses_each_forgery(world: World, server: TestClient, name: str) -> None:
    r = server.post("/v1/verify", json=world.forged[name])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["verified"] is False
    assert _verdict(report) == PINNED_AND_CHAIN[name], report


def test_api_names_both_logs_for_a_bundle_of_another_log(world: World, server: TestClient) -> None:
    report = server.post("/v1/verify", json=world.second.bundle.to_json()).json()
    assert world.second.notary.key.log_id in report["reason"]
    assert world.genuine.notary.key.log_id in report["reason"]
    assert "not from this log" in report["reason"]


def test_api_verifies_genuine_bundles_against_its_own_trust_root(
    world: World, server: TestClient
) -> None:
    g = world.genuine
    report = server.post("/v1/verify", json=g.bundle.to_json()).json()
    assert report["verified"] is True and report["level"] == "anchored", report
    assert report["trust"]["log_id"] == g.notary.key.log_id
    trust = server.get("/v1/trust").json()
    assert trust["logs"][0]["public_key"] == g.public_key_b64
    assert trust["logs"][0]["chain"]["contract"] == g.chain.contract_address.lower()
