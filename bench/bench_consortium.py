"""Anchoring on the consortium chain against a single dev node, measured in the same run.

- the consortium: scripts/consortium on loopback, three geth 1.13.15 clique validators of three
  organisations plus the public node, 1-second blocks, anchors through the notary's node,
  ``CONFIRMATIONS`` (3) blocks before an anchor counts;
- the baseline: one ``geth --dev`` node (the same geth) with 1-second blocks and 1 confirmation —
  the single-node chain the anchor tests use, which its one operator could rewrite.

Figures: submit-to-confirmed latency (median of 6 rounds of 1,000 records), and records per anchor
when records arrive steadily (``RATE`` a second for ``STEADY_S`` seconds) and the anchorer anchors
whatever is waiting as soon as the previous anchor is confirmed. Ratios are consortium / dev node.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._util import figure, header

RATE = 200  # records a second
STEADY_S = 20.0


@dataclass(frozen=True)
class Run:
    latencies: list[float]
    anchors: int
    records: int

    @property
    def latency(self) -> float:
        return statistics.median(self.latencies)

    @property
    def per_anchor(self) -> float:
        return self.records / self.anchors


def _steady(notary: Any, anchorer: Any) -> tuple[int, int]:
    """Records arrive at RATE a second for STEADY_S while the anchorer runs; once they stop and it
    has caught up: (confirmed anchors, records they cover)."""
    from api.storage.anchors import AnchorStore  # noqa: PLC0415
    from tests.integration.anchors.helpers import add_records  # noqa: PLC0415

    store = AnchorStore(notary.log.engine)
    before = store.latest_confirmed()
    start_size = before.tree_size if before else 0
    stop = threading.Event()
    loop = threading.Thread(target=anchorer.run_forever, args=(stop,))
    loop.start()
    t0 = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - t0) < STEADY_S:
        due = int(elapsed * RATE) - sent
        if due > 0:
            add_records(notary, due, prefix="steady")
            sent += due
        time.sleep(0.05)
    deadline = time.monotonic() + 60
    while (latest := store.latest_confirmed()) is None or latest.tree_size < notary.log.size:
        if time.monotonic() > deadline:
            raise RuntimeError("the anchorer did not catch up")
        time.sleep(0.1)
    stop.set()
    loop.join(60)
    rows = [r for r in store.all() if r.status == "confirmed" and r.tree_size > start_size]
    return len(rows), latest.tree_size - start_size


def _measure(notary: Any, anchorer: Any) -> Run:
    from bench.bench_chain import anchor_latencies  # noqa: PLC0415

    latencies = anchor_latencies(notary, anchorer, rounds=6)
    anchors, records = _steady(notary, anchorer)
    anchorer.close()
    notary.close()
    return Run(latencies, anchors, records)


def _settings(tmp: Path, **chain: Any) -> Any:
    from api.settings import Settings  # noqa: PLC0415

    # Anchor whatever waits as soon as the previous anchor is confirmed.
    return Settings(data_dir=tmp, anchor_interval_s=0.1, anchor_max_batch=10**6, **chain)


def _dev_node(tmp: Path) -> Run:
    from eth_account import Account  # noqa: PLC0415
    from web3 import Web3  # noqa: PLC0415

    from anchors.chain import connect_rpc, deploy_contract  # noqa: PLC0415
    from api.service.anchoring import anchor_config, make_anchorer  # noqa: PLC0415
    from api.service.notary import Notary  # noqa: PLC0415
    from tests.integration.anchors import nodes  # noqa: PLC0415

    with nodes.running(nodes.geth_dev(tmp, period_s=1)) as node:
        account = Account.create()
        nodes.fund_from_dev_account(node, account.address)
        w3 = Web3(Web3.HTTPProvider(node.url))
        address = deploy_contract(w3, account, admin=account.address, anchorer=account.address)
        backend = connect_rpc(node.url, address, private_key=account.key.hex())
        notary = Notary.open(_settings(tmp / "dev-data", anchor_confirmations=1))
        config = anchor_config(notary.settings, poll_interval_s=0.05)
        return _measure(notary, make_anchorer(notary, backend, config=config))


def _consortium(tmp: Path) -> Run:
    from api.service.anchoring import anchor_config, make_anchorer, open_backend  # noqa: PLC0415
    from api.service.notary import Notary  # noqa: PLC0415
    from scripts.consortium import governance, network  # noqa: PLC0415

    with network.running(tmp / "consortium") as net:
        w3 = governance.web3_of(net.validators[0].url)
        notary_key = net.accounts["notary"]
        deployment = governance.deploy(
            w3,
            net.accounts["deployer"],
            members=[net.accounts[f"gov-{org}"].address for org in network.ORGANISATIONS],
            anchorer=notary_key.address,
            min_delay_s=60,
        )
        env = net.notary_env(deployment.contract)
        chain = {k.removeprefix("SUNLIGHT_").lower(): v for k, v in env.items()}
        notary = Notary.open(
            _settings(tmp / "consortium-data", anchor_private_key=notary_key.key.hex(), **chain)
        )
        config = anchor_config(notary.settings, poll_interval_s=0.05)
        return _measure(notary, make_anchorer(notary, open_backend(notary.settings), config=config))


def main() -> None:
    from scripts.consortium import network  # noqa: PLC0415

    if not network.geth_available():
        print(
            f"\n== consortium: geth {network.GETH_VERSION} is not built (scripts/setup/40-geth.sh)"
        )
        return
    with tempfile.TemporaryDirectory() as d:
        dev = _dev_node(Path(d))
        consortium = _consortium(Path(d))
    header(
        "anchoring: consortium (3 clique validators + public node, geth 1.13.15, 1 s blocks, "
        f"{network.CONFIRMATIONS} confirmations) vs one geth --dev node (1 s blocks, 1 confirmation)"
    )
    figure("submit-to-confirmed latency, dev node (median of 6)", f"{dev.latency:.2f} s")
    figure("submit-to-confirmed latency, consortium (median of 6)", f"{consortium.latency:.2f} s")
    figure("  ratio consortium / dev node", f"{consortium.latency / dev.latency:.2f}x")
    steady = f"{RATE} records/s for {STEADY_S:.0f} s"
    figure(
        "records per anchor, dev node",
        f"{dev.per_anchor:,.0f}",
        f"{dev.anchors} anchors, {steady}",
    )
    figure(
        "records per anchor, consortium",
        f"{consortium.per_anchor:,.0f}",
        f"{consortium.anchors} anchors, {steady}",
    )
    figure("  ratio consortium / dev node", f"{consortium.per_anchor / dev.per_anchor:.2f}x")


if __name__ == "__main__":
    main()
