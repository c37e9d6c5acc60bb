"""The loopback consortium of scripts/consortium for the session: three clique validators (one per
organisation, the first the notary's) and the public node. Each test deploys its own EvidenceAnchor
under the organisations' timelock; nodes a test stopped or cut off are back for the next one.

geth 1.13.15 is required under CI=true (scripts/setup/40-geth.sh builds it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from scripts.consortium import governance, network
from tests.conftest import require
from tests.integration.consortium.tally import FIGURES

GOVERNANCE_DELAY_S = 2


@pytest.fixture(scope="session")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[network.Consortium]:
    require(
        network.geth_available(),
        f"geth {network.GETH_VERSION} at {network.GETH} (scripts/setup/40-geth.sh)",
    )
    with network.running(tmp_path_factory.mktemp("consortium")) as net:
        yield net


@pytest.fixture
def net(consortium: network.Consortium) -> Iterator[network.Consortium]:
    """The consortium, every node running and peered; restored so after the test."""
    consortium.restore()
    yield consortium
    consortium.restore()


@pytest.fixture
def anchor_key(net: network.Consortium) -> str:
    """A fresh anchoring key for the test (its nonce counts only this test's anchors), funded by
    the deployer; the transfer is mined with the deployment that follows."""
    account = Account.create()
    w3 = governance.web3_of(net.validators[0].url)
    deployer = net.accounts["deployer"]
    transfer = {
        "to": account.address,
        "value": 10**21,
        "gas": 21_000,
        "gasPrice": 2 * int(w3.eth.gas_price),
        "nonce": w3.eth.get_transaction_count(deployer.address, "pending"),
        "chainId": net.chain_id,
    }
    w3.eth.send_raw_transaction(deployer.sign_transaction(transfer).raw_transaction)
    return "0x" + bytes(account.key).hex()


@pytest.fixture
def deployment(net: network.Consortium, anchor_key: str) -> governance.Deployment:
    """A fresh EvidenceAnchor, admin role on the organisations' timelock, ``anchor_key`` its
    anchorer, deployed through the notary's node."""
    return governance.deploy(
        governance.web3_of(net.validators[0].url),
        net.accounts["deployer"],
        members=[net.accounts[f"gov-{org}"].address for org in network.ORGANISATIONS],
        anchorer=Account.from_key(anchor_key).address,
        min_delay_s=GOVERNANCE_DELAY_S,
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("consortium faults (records)")
        for tally in FIGURES:
            terminalreporter.write_line(tally.line())
