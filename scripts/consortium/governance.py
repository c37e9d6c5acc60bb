"""EvidenceAnchor on the consortium chain, administered by the organisations through an OpenZeppelin
``TimelockController``.

- The timelock's proposers, executors and cancellers are the organisations' governance accounts
  (OpenZeppelin gives every proposer the canceller role); it administers itself (no admin account).
- EvidenceAnchor is deployed with ``DEFAULT_ADMIN_ROLE`` on the timelock and ``ANCHORER_ROLE`` on
  the notary's anchoring account: the deploying key never holds a role, so there is nothing for it
  to renounce.
- A change of roles (a new anchoring key, a fourth organisation) is scheduled by one organisation,
  waits ``min_delay_s`` in public on chain, during which any other can cancel it, then is executed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxReceipt

from anchors.chain import deploy_contract
from anchors.contract import artifact

__all__ = [
    "Deployment",
    "anchor_at",
    "deploy",
    "execute",
    "schedule",
    "timelock_at",
    "transact",
    "web3_of",
]

TIMELOCK_ARTIFACT = (
    Path(__file__).resolve().parents[2] / "contracts_sol" / "build" / "TimelockController.json"
)
ZERO = "0x" + "00" * 32


@dataclass(frozen=True, slots=True)
class Deployment:
    """Where the anchor contract and its timelock are, and who holds what."""

    chain_id: int
    contract: str
    timelock: str
    min_delay_s: int
    members: tuple[str, ...]
    anchorer: str


@cache
def _timelock_artifact() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TIMELOCK_ARTIFACT.read_text())
    return data


def web3_of(url: str) -> Web3:
    """web3 on a node of the consortium (clique blocks carry 97 bytes of ``extraData``)."""
    w3 = Web3(Web3.HTTPProvider(url))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def timelock_at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=_timelock_artifact()["abi"]
    )


def anchor_at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact()["abi"])


def transact(w3: Web3, account: LocalAccount, call: Any) -> TxReceipt:
    """Sign ``call`` (a contract function or constructor) with ``account``, send it and wait for
    it to be mined; raise if it reverted."""
    tx = call.build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction {tx_hash.hex()} reverted")
    return receipt


def deploy(
    w3: Web3,
    deployer: LocalAccount,
    *,
    members: Sequence[str],
    anchorer: str,
    min_delay_s: int,
) -> Deployment:
    """Deploy the timelock of ``members`` and EvidenceAnchor administered by it."""
    art = _timelock_artifact()
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    zero_address = "0x" + "00" * 20
    ctor = factory.constructor(min_delay_s, list(members), list(members), zero_address)
    receipt = transact(w3, deployer, ctor)
    timelock = str(receipt["contractAddress"])
    contract = deploy_contract(w3, deployer, admin=timelock, anchorer=anchorer)
    return Deployment(
        chain_id=int(w3.eth.chain_id),
        contract=contract,
        timelock=timelock,
        min_delay_s=min_delay_s,
        members=tuple(members),
        anchorer=anchorer,
    )


def _operation(target: str, data: str, salt: bytes) -> tuple[Any, ...]:
    return (Web3.to_checksum_address(target), 0, data, ZERO, salt)


def schedule(
    w3: Web3, member: LocalAccount, deployment: Deployment, data: str, salt: bytes
) -> bytes:
    """``member`` proposes the call ``data`` on the anchor contract; returns the operation id."""
    timelock = timelock_at(w3, deployment.timelock)
    op = _operation(deployment.contract, data, salt)
    transact(w3, member, timelock.functions.schedule(*op, deployment.min_delay_s))
    return cast(bytes, timelock.functions.hashOperation(*op).call())


def execute(
    w3: Web3, member: LocalAccount, deployment: Deployment, data: str, salt: bytes
) -> TxReceipt:
    """``member`` executes a scheduled call once its delay has passed."""
    timelock = timelock_at(w3, deployment.timelock)
    return transact(
        w3, member, timelock.functions.execute(*_operation(deployment.contract, data, salt))
    )
