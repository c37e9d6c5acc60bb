"""EvidenceAnchor on the consortium is administered by the organisations' TimelockController: the
deploying key holds no role; a change of anchorer is proposed by one organisation, waits in public,
can be cancelled by another, and takes effect only when executed after the delay."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from web3.exceptions import ContractLogicError

from scripts.consortium import governance, network
from tests.integration.consortium.conftest import GOVERNANCE_DELAY_S


def test_no_single_key_administers_the_contract(
    net: network.Consortium, deployment: governance.Deployment
) -> None:
    w3 = governance.web3_of(net.public.url)  # checked where anyone can check it
    anchor = governance.anchor_at(w3, deployment.contract)
    timelock = governance.timelock_at(w3, deployment.timelock)
    admin, anchorer_role = (
        anchor.functions.DEFAULT_ADMIN_ROLE().call(),
        anchor.functions.ANCHORER_ROLE().call(),
    )
    deployer = net.accounts["deployer"].address
    assert anchor.functions.hasRole(admin, deployment.timelock).call()
    assert not anchor.functions.hasRole(admin, deployer).call()
    assert not anchor.functions.hasRole(anchorer_role, deployer).call()
    assert anchor.functions.hasRole(anchorer_role, deployment.anchorer).call()
    for member in deployment.members:  # an organisation alone is not the admin either
        assert not anchor.functions.hasRole(admin, member).call()
    # The timelock administers itself: nobody can change its members or delay but itself.
    own_admin = timelock.functions.DEFAULT_ADMIN_ROLE().call()
    assert timelock.functions.hasRole(own_admin, deployment.timelock).call()
    assert not timelock.functions.hasRole(own_admin, deployer).call()
    assert timelock.functions.getMinDelay().call() == GOVERNANCE_DELAY_S


def test_a_new_anchorer_waits_the_delay_and_can_be_cancelled(
    net: network.Consortium, deployment: governance.Deployment
) -> None:
    w3 = governance.web3_of(net.validators[1].url)
    anchor = governance.anchor_at(w3, deployment.contract)
    role = anchor.functions.ANCHORER_ROLE().call()
    newcomer = Account.create().address
    grant = anchor.encode_abi("grantRole", args=[role, newcomer])
    finance, audit, discipline = (net.accounts[f"gov-{o}"] for o in network.ORGANISATIONS)

    # The anchoring key cannot grant itself anything, nor can an organisation's key directly.
    for who in (deployment.anchorer, finance.address):
        with pytest.raises(ContractLogicError):
            anchor.functions.grantRole(role, newcomer).call({"from": who})

    # Proposed by one organisation, cancelled by another within the delay: never executable.
    op = governance.schedule(w3, finance, deployment, grant, salt=b"\x01" * 32)
    timelock = governance.timelock_at(w3, deployment.timelock)
    assert timelock.functions.isOperationPending(op).call()
    governance.transact(w3, audit, timelock.functions.cancel(op))
    time.sleep(GOVERNANCE_DELAY_S + 1)
    with pytest.raises(ContractLogicError):
        timelock.functions.execute(
            deployment.contract, 0, grant, governance.ZERO, b"\x01" * 32
        ).call({"from": discipline.address})
    assert not anchor.functions.hasRole(role, newcomer).call()

    # Proposed again: too early to execute; after the delay any organisation executes it.
    salt = b"\x02" * 32
    governance.schedule(w3, finance, deployment, grant, salt=salt)
    with pytest.raises(ContractLogicError):
        timelock.functions.execute(deployment.contract, 0, grant, governance.ZERO, salt).call(
            {"from": discipline.address}
        )
    time.sleep(GOVERNANCE_DELAY_S + 1)
    governance.execute(w3, discipline, deployment, grant, salt=salt)
    assert anchor.functions.hasRole(role, newcomer).call()
