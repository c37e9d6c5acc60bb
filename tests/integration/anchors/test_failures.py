"""Each failure the anchorer must survive, caused for real: a stopped node, a reverted and a
dropped transaction, a reorg under the confirmation depth, a process killed between sending and
confirming. On anvil all of them; on the embedded chain and geth those that can be caused there."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

from anchors.chain import connect_rpc
from api.storage.anchors import AnchorStore
from notary.errors import ChainUnavailableError
from tests.conftest import require
from tests.integration.anchors import nodes
from tests.integration.anchors.conftest import Chain, deploy_on
from tests.integration.anchors.helpers import add_records, make_anchorer, make_notary

ROOT = Path(__file__).resolve().parents[3]


def _anchor_events(chain: Chain, tree_size: int) -> int:
    contract = chain.backend._contract
    logs = contract.events.CheckpointAnchored().get_logs(
        from_block=0, argument_filters={"treeSize": tree_size}
    )
    return len(logs)


def test_node_down_ingestion_goes_on_and_one_anchor_catches_up(tmp_path: Path) -> None:
    """anvil is stopped (its state saved), records keep coming, the anchorer backs off; anvil
    comes back on the same port with its state and one anchor covers everything."""
    require(nodes.anvil_available(), "anvil")
    state = tmp_path / "anvil-state.json"
    node = nodes.anvil(tmp_path, "--state", str(state))
    node.start()
    try:
        chain = deploy_on(node, nodes.ANVIL_KEYS[0], "anvil")
        notary = make_notary(tmp_path / "data", anchor_interval_s=0.2, anchor_max_batch=10**6)
        anchorer = make_anchorer(notary, chain.backend)
        add_records(notary, 50)
        first = anchorer.run_once(force=True)
        assert first is not None and first.status == "confirmed" and first.tree_size == 50

        node.stop()
        with pytest.raises(ChainUnavailableError):
            anchorer.run_once(force=True)
        stop = threading.Event()
        loop = threading.Thread(
            target=anchorer.run_forever, args=(stop,), kwargs={"max_backoff_s": 1.0}
        )
        loop.start()
        for _ in range(5):  # ingestion is unaffected while the node is down
            add_records(notary, 30)
            time.sleep(0.3)
        assert notary.log.size == 200
        node = nodes.anvil(tmp_path, "--state", str(state), port=node.port)
        node.start()
        deadline = time.monotonic() + 60
        reader = connect_rpc(node.url, chain.backend.contract_address)
        while reader.latest_checkpoint()[0] != 200:
            assert time.monotonic() < deadline, "the anchorer did not catch up"
            time.sleep(0.2)
        stop.set()
        loop.join(30)
        rows = AnchorStore(notary.log.engine).all()
        assert [(r.tree_size, r.status) for r in rows] == [(50, "confirmed"), (200, "confirmed")]
        assert rows[1].from_size == 50
        assert reader.root_at(50) == notary.log.root(50)
        notary.close()
    finally:
        node.stop()


def test_reverted_transaction_is_detected_and_resent(chain: Chain, tmp_path: Path) -> None:
    notary = make_notary(tmp_path)
    anchorer = make_anchorer(notary, chain.backend)
    add_records(notary, 1000)
    chain.backend.gas_limit = lambda estimate: 40_000  # runs out of gas on chain: status 0
    try:
        failed = anchorer.run_once(force=True)
    finally:
        chain.backend.gas_limit = lambda estimate: estimate * 5 // 4 + 20_000
    assert failed is not None and failed.status == "failed"
    rows = AnchorStore(notary.log.engine).all()
    assert "out of gas" in (rows[0].detail or "")
    assert chain.backend.latest_checkpoint() == (0, None)
    again = anchorer.run_once(force=True)
    assert again is not None and again.status == "confirmed" and again.tree_size == 1000
    assert chain.backend.root_at(1000) == notary.log.root(1000)
    assert _anchor_events(chain, 1000) == 1
    assert anchorer.run_once(force=True) is None  # nothing new: nothing sent
    notary.close()


def test_revert_reason_is_decoded(anvil_chain: Chain, tmp_path: Path) -> None:
    """A second anchorer gets the same checkpoint into the same block first: our mined
    transaction reverts, the custom error is decoded, and nothing is anchored twice."""
    chain = anvil_chain
    address = chain.backend.contract_address
    admin = connect_rpc(chain.node.url, address, private_key=nodes.ANVIL_KEYS[0])  # type: ignore[union-attr]
    rival_key = nodes.ANVIL_KEYS[1]
    rival = connect_rpc(chain.node.url, address, private_key=rival_key, priority_fee_wei=50 * 10**9)  # type: ignore[union-attr]
    role = admin._contract.functions.ANCHORER_ROLE().call()
    tx = admin._contract.functions.grantRole(role, rival.sender).build_transaction(
        cast(
            Any,
            {
                "from": admin.sender,
                "nonce": admin.nonces.take(),
                "chainId": admin.chain_id,
                "gas": 100_000,
            },
        )
    )
    assert admin._account is not None
    admin.send_raw(bytes(admin._account.sign_transaction(cast(dict[str, Any], tx)).raw_transaction))
    chain.backend.resync_nonce()

    notary = make_notary(tmp_path)
    anchorer = make_anchorer(notary, chain.backend, confirm_timeout_s=0)
    add_records(notary, 10)
    chain.call("evm_setAutomine", False)
    ours = anchorer.run_once(force=True)
    assert ours is not None and ours.status == "pending"
    signed = rival.sign_anchor(10, notary.log.root(10), [], "rival")
    rival.send_raw(signed.raw)
    chain.call("evm_mine")  # both in one block, the rival's first (higher tip)
    assert anchorer.run_once() is None
    row = AnchorStore(notary.log.engine).all()[0]
    assert row.status == "failed"
    assert "EvidenceAnchorSizeNotIncreasing" in (row.detail or ""), row.detail
    assert "already anchored" in (row.detail or "")
    assert anchorer.run_once(force=True) is None  # the chain holds size 10: nothing to send
    assert _anchor_events(chain, 10) == 1
    notary.close()


def test_dropped_transaction_is_sent_again_once(anvil_chain: Chain, tmp_path: Path) -> None:
    chain = anvil_chain
    notary = make_notary(tmp_path)
    anchorer = make_anchorer(notary, chain.backend, confirm_timeout_s=0)
    add_records(notary, 100)
    chain.call("evm_setAutomine", False)
    sent = anchorer.run_once(force=True)
    assert sent is not None and sent.status == "pending"
    chain.call("anvil_dropTransaction", sent.tx_hash)
    assert chain.backend.receipt(sent.tx_hash) is None and not chain.backend.is_pending(
        sent.tx_hash
    )
    assert anchorer.run_once(force=True) is None  # the row is re-broadcast, nothing new is signed
    assert chain.backend.is_pending(sent.tx_hash)
    chain.call("evm_mine")
    done = anchorer.run_once()
    assert done is not None and done.status == "confirmed" and done.tx_hash == sent.tx_hash
    assert _anchor_events(chain, 100) == 1
    notary.close()


def test_reorg_before_confirmation_depth_is_detected_and_anchored_again(
    anvil_chain: Chain, tmp_path: Path
) -> None:
    chain = anvil_chain
    notary = make_notary(tmp_path, anchor_confirmations=3)
    anchorer = make_anchorer(notary, chain.backend, confirm_timeout_s=0)
    add_records(notary, 64)
    snapshot = chain.call("evm_snapshot")
    sent = anchorer.run_once(force=True)
    assert sent is not None and sent.status == "pending" and sent.block_number is not None
    mined_at, first_hash = sent.block_number, sent.block_hash
    chain.call("evm_revert", snapshot)  # the anchoring block leaves the chain
    chain.call("evm_mine")
    chain.call("evm_mine")  # a different block now stands at that height
    assert chain.backend.block_hash(mined_at) != first_hash
    assert anchorer.run_once() is None  # detected: sent again, not yet deep enough
    for _ in range(3):
        chain.call("evm_mine")
    done = anchorer.run_once()
    assert done is not None and done.status == "confirmed"
    assert done.block_hash != first_hash
    assert chain.backend.block_hash(done.block_number or 0) == done.block_hash
    assert chain.backend.root_at(64) == notary.log.root(64)
    assert _anchor_events(chain, 64) == 1
    notary.close()


_CRASH = """
import os, sys
from pathlib import Path
from api.service.anchoring import open_backend
from tests.integration.anchors.helpers import make_anchorer, make_notary
when = sys.argv[2]
notary = make_notary(Path(sys.argv[1]), chain_rpc_url=os.environ.get("RPC", ""),
                     contract_address=os.environ.get("CONTRACT", ""),
                     anchor_private_key=os.environ.get("KEY", ""), anchor_confirmations=2)
backend = open_backend(notary.settings)
send = backend.send_raw
def crashing_send(raw):
    if when == "after-send":
        send(raw)
    os._exit(9)  # killed: no clean-up, no confirmation recorded
backend.send_raw = crashing_send
make_anchorer(notary, backend).run_once(force=True)
"""


@pytest.mark.parametrize("when", ["after-send", "before-send"])
def test_killed_between_sending_and_confirming(chain: Chain, tmp_path: Path, when: str) -> None:
    """A child process persists the signed transaction and dies (before or after sending it);
    the next anchorer finds the transaction and anchors the checkpoint exactly once."""
    data = tmp_path / "data"
    notary = make_notary(data)
    add_records(notary, 300)
    notary.close()
    env = dict(os.environ)
    if chain.kind == "embedded":
        assert chain.embedded is not None
        chain.embedded.close()
        # The child opens the embedded chain in DATA_DIR/chain itself.
        env.update(RPC="", CONTRACT="", KEY="")
    else:
        assert chain.node is not None
        env.update(
            RPC=chain.node.url,
            CONTRACT=chain.backend.contract_address,
            KEY=chain.key or nodes.ANVIL_KEYS[0],
        )
    child = subprocess.run(
        [sys.executable, "-c", _CRASH, str(data), when], cwd=ROOT, env=env, timeout=120
    )
    assert child.returncode == 9
    notary = make_notary(
        data,
        chain_rpc_url=env["RPC"],
        contract_address=env["CONTRACT"],
        anchor_private_key=env["KEY"],
        anchor_confirmations=2,
    )
    rows = AnchorStore(notary.log.engine).all()
    assert [(r.tree_size, r.status) for r in rows] == [(300, "pending")]
    from api.service.anchoring import open_backend

    backend = open_backend(notary.settings)
    anchorer = make_anchorer(notary, backend)
    deadline = time.monotonic() + 60
    while AnchorStore(notary.log.engine).all()[0].status != "confirmed":
        assert time.monotonic() < deadline
        anchorer.run_once()
        backend.poll() if chain.kind == "embedded" else chain.advance()
        time.sleep(0.1)
    rows = AnchorStore(notary.log.engine).all()
    assert [(r.tree_size, r.status, r.tx_hash) for r in rows] == [
        (300, "confirmed", rows[0].tx_hash)
    ]
    assert backend.root_at(300) == notary.log.root(300)
    logs = backend._contract.events.CheckpointAnchored().get_logs(  # type: ignore[attr-defined]
        from_block=0, argument_filters={"treeSize": 300}
    )
    assert len(logs) == 1 and "0x" + bytes(logs[0]["transactionHash"]).hex() == rows[0].tx_hash
    anchorer.close()
    backend.close()
    notary.close()


def test_only_one_anchorer_at_a_time(chain: Chain, tmp_path: Path) -> None:
    notary = make_notary(tmp_path)
    add_records(notary, 10)
    first = make_anchorer(notary, chain.backend)
    second = make_anchorer(notary, chain.backend)
    assert first.lock.acquire()
    assert second.run_once(force=True) is None
    first.close()
    result = second.run_once(force=True)
    assert result is not None and result.status == "confirmed"
    second.close()
    notary.close()
