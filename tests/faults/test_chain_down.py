"""The chain node stopped for a while and restarted under ``sunlight serve``: ingestion over HTTP goes
on, ``POST /v1/anchor`` answers 503 ``chain_unavailable``, and once the node is back (anvil with
``--state``, on the same port) one anchor covers everything — never a size anchored twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from anchors import open_reader
from anchors.chain import deploy_contract
from api.storage.anchors import AnchorStore
from tests.conftest import require
from tests.faults.load import CachedRoots, Writers, check_proved, check_stored, duplicates
from tests.integration.anchors import nodes
from tests.integration.anchors.conftest import deploy_on
from tests.integration.anchors.helpers import add_records, make_anchorer, make_notary
from tests.support.server import SunlightServer, cli

pytestmark = pytest.mark.timeout(240)

OUTAGE_S = 4.0


def _events(reader: object) -> list[int]:
    logs = reader._contract.events.CheckpointAnchored().get_logs(from_block=0)  # type: ignore[attr-defined]
    return [int(e["args"]["treeSize"]) for e in logs]


def test_chain_node_down_ingestion_goes_on_and_one_anchor_catches_up(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    require(nodes.anvil_available(), f"anvil ({nodes.ANVIL}; run `npm ci`)")
    state = tmp_path / "anvil-state.json"
    node = nodes.anvil(tmp_path, "--state", str(state)).start()
    server: SunlightServer | None = None
    try:
        key = nodes.ANVIL_KEYS[1]
        account = Account.from_key(key)
        contract = deploy_contract(
            Web3(Web3.HTTPProvider(node.url)),
            account,
            admin=account.address,
            anchorer=account.address,
        )
        data = tmp_path / "data"
        server = SunlightServer(
            data,
            chain_rpc_url=node.url,
            contract_address=contract,
            anchor_private_key=key,
            anchor_interval_s=1,
        ).start()
        token = server.add_submitter("township")

        # Before the outage: records anchored by the background anchorer and on demand.
        writers = Writers(server.url, token, count=4, per_thread=25).start()
        writers.join(60)
        first = server.anchor()
        assert first.status_code == 200, first.text
        reader = open_reader(node.url, contract)
        before = _events(reader)
        assert before and before[-1] == server.health()["log_size"] == 100

        node.stop()  # SIGINT: anvil saves its chain to --state
        outage_started = time.monotonic()
        during = Writers(server.url, token, count=4).start()
        refused = server.anchor()
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "chain_unavailable", refused.text
        while time.monotonic() - outage_started < OUTAGE_S:
            time.sleep(0.2)
        during.stop()
        assert during.acked_count > 20, f"only {during.acked_count} records during the outage"
        assert not during.errors, f"ingestion failed while the chain was down: {during.errors}"
        pending_id = during.acked[-1].id
        r = httpx.get(
            f"{server.url}/v1/records/{pending_id}/proof", headers=server.auth(), timeout=30
        )
        assert r.status_code == 202 and r.json()["status"] == "pending", r.text
        again = server.anchor()  # still down: still a clear 503, nothing recorded as sent
        assert again.status_code == 503 and again.json()["error"] == "chain_unavailable"
        size = server.health()["log_size"]
        assert size == 100 + during.acked_count

        node = nodes.anvil(tmp_path, "--state", str(state), port=node.port).start()
        outage_s = time.monotonic() - outage_started
        reader = open_reader(node.url, contract)
        assert _events(reader) == before, "anvil lost its chain across the restart"
        caught_up = server.anchor()
        assert caught_up.status_code == 200, caught_up.text
        assert caught_up.json()["status"] in ("confirmed", "up_to_date"), caught_up.text
        deadline = time.monotonic() + 60
        while reader.latest_checkpoint()[0] != size:
            assert time.monotonic() < deadline, "no anchor covered the records of the outage"
            time.sleep(0.2)
        time.sleep(2.5)  # two more background rounds: they must find nothing to do
        after = _events(reader)
        assert after == [*before, size], f"anchored sizes {after}: expected {before} then {size}"
        latest = httpx.get(f"{server.url}/v1/checkpoints/latest", timeout=30).json()
        chain_size, chain_root = reader.latest_checkpoint()
        assert chain_root is not None
        assert (chain_size, chain_root.hex()) == (size, latest["checkpoint"]["root_hash"])

        acked = writers.acked + during.acked
        assert not duplicates(acked)
        assert not check_stored(server.url, token, acked)
        problems = check_proved(server.url, token, acked, CachedRoots(reader))
        assert not problems, problems[:3]
    finally:
        if server is not None:
            server.stop()
        node.stop()

    audit = cli("audit", data_dir=data)
    assert audit.returncode == 0 and "audit passed" in audit.stdout, audit.stdout + audit.stderr
    figures = {
        "acknowledged": len(acked),
        "acknowledged_while_chain_down": during.acked_count,
        "lost": 0,
        "outage_s": round(outage_s, 1),
        "anchored_sizes": after,
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\nchain node down: {figures}")


def test_concurrent_anchor_rounds_in_one_process_send_one_transaction(tmp_path: Path) -> None:
    """``POST /v1/anchor`` runs rounds beside the background loop on the same anchorer: rounds must
    not overlap, or both sign an anchor of the same chain state and one reverts on chain."""
    require(nodes.anvil_available(), f"anvil ({nodes.ANVIL}; run `npm ci`)")

    with nodes.running(nodes.anvil(tmp_path)) as node:
        chain = deploy_on(node, nodes.ANVIL_KEYS[0], "anvil")
        notary = make_notary(tmp_path / "data", anchor_interval_s=3600)
        anchorer = make_anchorer(notary, chain.backend)
        errors: list[BaseException] = []

        def round_() -> None:
            try:
                anchorer.run_once(force=True)
            except BaseException as e:
                errors.append(e)

        for _ in range(4):
            add_records(notary, 10)
            threads = [threading.Thread(target=round_) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        rows = AnchorStore(notary.log.engine).all()
        notary.close()
    assert not errors, errors
    assert [(r.tree_size, r.status) for r in rows] == [
        (10, "confirmed"),
        (20, "confirmed"),
        (30, "confirmed"),
        (40, "confirmed"),
    ]
