"""The contract's admin role on a multisig or timelock: ``sunlight contract deploy --admin ADDR``
gives DEFAULT_ADMIN_ROLE to that address only, so the deploying key never holds it; and a contract
deployed the old way is handed over with ``grantRole`` + ``renounceRole`` (docs/threat-model.md).

On anvil. An ordinary account stands in for the Safe or TimelockController: to the contract an
admin is an address, whatever code (if any) sits behind it.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner
from web3 import Web3
from web3.exceptions import ContractLogicError

from anchors.contract import artifact
from tests.integration.anchors import nodes
from tests.integration.anchors.test_cli import _app

DEPLOYER, MULTISIG = nodes.ANVIL_KEYS[2], nodes.ANVIL_KEYS[1]  # these two send transactions
ANCHORER, NEWCOMER = (Account.create().key.hex() for _ in range(2))


def _address(key: str) -> str:
    return str(Account.from_key(key).address)


def _deploy(url: str, *options: str) -> Any:
    done = CliRunner().invoke(
        _app(), ["contract", "deploy", "--rpc-url", url, "--private-key", DEPLOYER, *options]
    )
    assert done.exit_code == 0, done.output
    address = done.output.strip().splitlines()[-1]
    w3 = Web3(Web3.HTTPProvider(url))
    return w3, w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact()["abi"])


def _send(w3: Web3, key: str, call: Any) -> Any:
    account = Account.from_key(key)
    tx = call.build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    )
    assert receipt["status"] == 1
    return receipt


def test_deploy_with_admin_leaves_the_deployer_no_role(anvil_node: nodes.Node) -> None:
    w3, contract = _deploy(
        anvil_node.url, "--admin", _address(MULTISIG), "--anchorer", _address(ANCHORER)
    )
    admin_role = contract.functions.DEFAULT_ADMIN_ROLE().call()
    anchorer_role = contract.functions.ANCHORER_ROLE().call()
    has = contract.functions.hasRole
    assert has(admin_role, _address(MULTISIG)).call()
    assert has(anchorer_role, _address(ANCHORER)).call()
    assert not has(admin_role, _address(DEPLOYER)).call()
    assert not has(anchorer_role, _address(DEPLOYER)).call()
    # The deployer cannot grant anything; the multisig can.
    with pytest.raises(ContractLogicError):
        contract.functions.grantRole(anchorer_role, _address(NEWCOMER)).call(
            {"from": _address(DEPLOYER)}
        )
    with pytest.raises(ContractLogicError):  # nor can the anchorer give itself the admin role
        contract.functions.grantRole(admin_role, _address(ANCHORER)).call(
            {"from": _address(ANCHORER)}
        )
    _send(w3, MULTISIG, contract.functions.grantRole(anchorer_role, _address(NEWCOMER)))
    assert has(anchorer_role, _address(NEWCOMER)).call()
    _send(w3, MULTISIG, contract.functions.revokeRole(anchorer_role, _address(NEWCOMER)))
    assert not has(anchorer_role, _address(NEWCOMER)).call()


def test_an_existing_contract_is_handed_to_a_multisig(anvil_node: nodes.Node) -> None:
    w3, contract = _deploy(anvil_node.url, "--anchorer", _address(ANCHORER))
    admin_role = contract.functions.DEFAULT_ADMIN_ROLE().call()
    has = contract.functions.hasRole
    assert has(admin_role, _address(DEPLOYER)).call()
    _send(w3, DEPLOYER, contract.functions.grantRole(admin_role, _address(MULTISIG)))
    _send(w3, DEPLOYER, contract.functions.renounceRole(admin_role, _address(DEPLOYER)))
    assert has(admin_role, _address(MULTISIG)).call()
    assert not has(admin_role, _address(DEPLOYER)).call()
