"""One anchor test suite, run against every backend: the embedded eth-tester chain, anvil and
(when built by scripts/setup/40-geth.sh) geth --dev. anvil is required under CI=true."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from anchors.chain import Web3Chain, connect_rpc, deploy_contract
from anchors.embedded import EmbeddedChain
from tests.integration.anchors import nodes


@pytest.fixture(scope="session")
def geth_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nodes.Node]:
    if not nodes.geth_available():
        pytest.skip(f"geth is not built at {nodes.GETH} (scripts/setup/40-geth.sh builds it)")
    with nodes.running(nodes.geth_dev(tmp_path_factory.mktemp("geth"))) as node:
        yield node


@dataclass
class Chain:
    """A freshly deployed EvidenceAnchor on one backend, and what the test may do to that chain."""

    kind: str
    backend: Web3Chain
    node: nodes.Node | None = None
    embedded: EmbeddedChain | None = None
    key: str = ""

    @property
    def can_control(self) -> bool:
        """anvil: snapshots, mining on demand, dropping transactions."""
        return self.kind == "anvil"

    def call(self, method: str, *params: Any) -> Any:
        assert self.node is not None
        return self.node.call(method, *params)

    def advance(self) -> None:
        """Add one block, so confirmations accrue on a chain that mines only on demand."""
        if self.kind == "anvil":
            self.call("evm_mine")
        elif self.kind == "geth":
            assert self.node is not None
            dev = self.call("eth_accounts")[0]
            nodes.send_from_dev(self.node, dev, dev, 0)
        else:
            self.backend.poll()

    def reader(self) -> Web3Chain:
        """A key-less reader of the same contract (for the embedded chain, on the same provider)."""
        if self.node is not None:
            return connect_rpc(self.node.url, self.backend.contract_address)
        return Web3Chain(self.backend.w3, self.backend.contract_address)


def deploy_on(node: nodes.Node, key: str, kind: str) -> Chain:
    w3 = Web3(Web3.HTTPProvider(node.url))
    account = Account.from_key(key)
    address = deploy_contract(w3, account, admin=account.address, anchorer=account.address)
    return Chain(kind, connect_rpc(node.url, address, private_key=key), node=node, key=key)


@pytest.fixture(params=["embedded", "anvil", "geth"])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Chain]:
    if request.param == "embedded":
        emb = EmbeddedChain(tmp_path / "chain")
        yield Chain("embedded", emb.backend, embedded=emb)
        emb.close()
        return
    if request.param == "anvil":
        node = request.getfixturevalue("anvil_node")
        yield deploy_on(node, nodes.ANVIL_KEYS[0], "anvil")
        return
    node = request.getfixturevalue("geth_node")
    key = "0x" + secrets.token_hex(32)
    nodes.fund_from_dev_account(node, Account.from_key(key).address)
    yield deploy_on(node, key, "geth")


@pytest.fixture
def anvil_chain(anvil_node: nodes.Node) -> Iterator[Chain]:
    """A fresh contract on the shared anvil, with automine restored after the test."""
    c = deploy_on(anvil_node, nodes.ANVIL_KEYS[0], "anvil")
    yield c
    anvil_node.call("evm_setAutomine", True)
