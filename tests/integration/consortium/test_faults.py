"""The consortium's faults, each caused for real on the loopback chain (3 clique validators of
three organisations, 1 public node), each ending with its figures read from the public node:
records acknowledged, anchored, lost (0) and doubled (0) — see tally.py."""

from __future__ import annotations

import time

from anchors.chain import connect_rpc
from api.storage.anchors import AnchorStore
from scripts.consortium import governance, network
from tests.integration.anchors.helpers import add_records
from tests.integration.consortium.helpers import (
    anchor_until_confirmed,
    anchored_through,
    notary_on,
    public_reader,
)
from tests.integration.consortium.tally import tally


def _settled(net: network.Consortium, name: str) -> None:
    """Wait until ``name`` has caught up with the public node's head."""
    net.wait_for_block(int(net.public.rpc("eth_blockNumber"), 16), on=name)


def test_one_validator_down_anchoring_goes_on(
    net: network.Consortium, deployment: governance.Deployment, anchor_key: str, tmp_path
) -> None:
    notary, anchorer = notary_on(net, deployment, anchor_key, tmp_path / "data")
    own = net.validators[0]
    ids = add_records(notary, 100)
    assert anchor_until_confirmed(anchorer, notary) == 100
    net.stop_node("discipline")
    head = int(net.public.rpc("eth_blockNumber"), 16)
    for size in (200, 300, 400):
        ids += add_records(notary, 100)
        assert anchor_until_confirmed(anchorer, notary) == size
    assert anchored_through(anchorer) == own.url
    assert int(net.public.rpc("eth_blockNumber"), 16) >= head + 3 * network.CONFIRMATIONS
    net.start_node("discipline")
    _settled(net, "discipline")
    figures = tally(
        "one validator down", notary, ids, public_reader(net, deployment), anchorer.backend.sender
    )
    assert (figures.anchored, figures.lost, figures.doubled) == (400, 0, 0)
    notary.close()


def test_notarys_node_down_the_anchorer_fails_over(
    net: network.Consortium, deployment: governance.Deployment, anchor_key: str, tmp_path
) -> None:
    """The notary's node takes an anchor while cut off from the others, then crashes: the
    anchorer moves to the audit bureau's node and sends the same signed transaction there, once."""
    notary, anchorer = notary_on(net, deployment, anchor_key, tmp_path / "data")
    own, audit = net.validators[0], net.validators[1]
    ids = add_records(notary, 100)
    assert anchor_until_confirmed(anchorer, notary) == 100
    assert anchored_through(anchorer) == own.url

    net.partition(own.name)
    ids += add_records(notary, 100)
    sent = anchorer.run_once(force=True)
    assert sent is not None and sent.tree_size == 200 and sent.status == "pending"
    assert (
        audit.rpc("eth_getTransactionByHash", sent.tx_hash) is None
    )  # only the notary's node has it
    net.stop_node(own.name, kill=True)

    assert anchor_until_confirmed(anchorer, notary) == 200
    assert anchored_through(anchorer) == audit.url
    rows = AnchorStore(notary.log.engine).all()
    assert [(r.tree_size, r.status) for r in rows] == [(100, "confirmed"), (200, "confirmed")]
    assert rows[1].tx_hash == sent.tx_hash  # the same signed bytes, not a second anchor
    ids += add_records(notary, 100)
    assert anchor_until_confirmed(anchorer, notary) == 300  # and on through the audit bureau

    net.restore()  # the notary's node comes back and drops what it sealed alone
    _settled(net, own.name)
    figures = tally(
        "notary's node down: failover",
        notary,
        ids,
        public_reader(net, deployment),
        anchorer.backend.sender,
    )
    assert (figures.anchored, figures.lost, figures.doubled) == (300, 0, 0)
    notary.close()


def test_partitioned_validators_rejoin_nothing_lost_or_doubled(
    net: network.Consortium, deployment: governance.Deployment, anchor_key: str, tmp_path
) -> None:
    notary, anchorer = notary_on(net, deployment, anchor_key, tmp_path / "data")
    own = net.validators[0]
    ids: list[str] = []
    # Another organisation's validator is cut off: the two others go on, then it rejoins.
    net.partition("discipline")
    for size in (100, 200):
        ids += add_records(notary, 100)
        assert anchor_until_confirmed(anchorer, notary) == size
    net.heal("discipline")
    _settled(net, "discipline")

    # The notary's own node is cut off with an anchor in flight: it may seal it alone in a block
    # the others never see, and no confirmation accrues there. Once back, the anchor is mined on
    # the majority's chain, once.
    net.partition(own.name)
    ids += add_records(notary, 100)
    sent = anchorer.run_once(force=True)
    assert sent is not None and sent.status == "pending"
    time.sleep(2 * network.CONFIRMATIONS)
    alone = own.rpc("eth_getTransactionReceipt", sent.tx_hash)  # sealed alone, or still pooled
    assert net.public.rpc("eth_getTransactionByHash", sent.tx_hash) is None
    assert connect_rpc(net.public.url, deployment.contract).latest_checkpoint()[0] == 200
    net.heal(own.name)
    assert anchor_until_confirmed(anchorer, notary) == 300
    mined = AnchorStore(notary.log.engine).latest_confirmed()
    assert mined is not None and mined.tx_hash == sent.tx_hash
    if alone is not None:  # the block it sealed alone left the chain; the anchor did not
        assert mined.block_hash != alone["blockHash"]
    ids += add_records(notary, 100)
    assert anchor_until_confirmed(anchorer, notary) == 400
    _settled(net, own.name)

    public = public_reader(net, deployment)
    for row in AnchorStore(notary.log.engine).all():
        assert row.status == "confirmed"
        assert row.block_number is not None
        assert public.block_hash(row.block_number) == row.block_hash  # on the public node's chain
    figures = tally(
        "validators partitioned, then rejoined", notary, ids, public, anchorer.backend.sender
    )
    assert (figures.anchored, figures.lost, figures.doubled) == (400, 0, 0)
    notary.close()
