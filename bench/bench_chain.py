"""EvidenceAnchor gas and anchoring latency on anvil (a real EVM node, from node_modules).

- ``anchor()`` transaction gas with its consistency proof at log sizes 10^3 and 10^6 (target at
  10^6: <= 90,000), and per record at 1,000 records per checkpoint;
- ``eth_estimateGas`` of ``verifyInclusion()`` in a tree of 2^20 - 1 leaves (target <= 55,000,
  the 21,000 base included);
- submit-to-confirmed latency of the anchorer with 1-second blocks (``anvil --block-time 1``).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._util import figure, header

N_BIG = 1_000_000
N_VERIFY = 2**20 - 1
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # a typical CIDv1 (59 chars)


def _anchor(backend: Any, tree: Any, old: int, new: int, manifest: str = "") -> int:
    proof = tree.consistency_proof(old, new) if old else []
    signed = backend.sign_anchor(new, tree.root(new), proof, manifest)
    backend.send_raw(signed.raw)
    deadline = time.monotonic() + 60
    while (receipt := backend.receipt(signed.tx_hash)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("anchor transaction not mined")
        time.sleep(0.05)
    if receipt.status != 1:
        raise RuntimeError(f"anchor({new}) reverted")
    return int(receipt.gas_used)


def _gas(node: Any) -> None:
    from eth_account import Account  # noqa: PLC0415
    from web3 import Web3  # noqa: PLC0415

    from anchors.chain import connect_rpc, deploy_contract  # noqa: PLC0415
    from notary.merkle import MerkleTree, leaf_hash  # noqa: PLC0415
    from tests.integration.anchors import nodes  # noqa: PLC0415

    key = nodes.ANVIL_KEYS[0]
    w3 = Web3(Web3.HTTPProvider(node.url))
    account = Account.from_key(key)

    def fresh() -> Any:
        address = deploy_contract(w3, account, admin=account.address, anchorer=account.address)
        return connect_rpc(node.url, address, private_key=key)

    t0 = time.perf_counter()
    tree = MerkleTree()
    tree.extend(i.to_bytes(8, "big") for i in range(N_VERIFY))
    build_s = time.perf_counter() - t0

    header(f"anchor() transaction gas on anvil ({node.hardfork}), consistency proof included")
    backend = fresh()
    first = _anchor(backend, tree, 0, 1)
    figure("first anchor ever (size 1, no proof, fresh storage slot)", f"{first:,}")
    for old, new, note in [
        (1, 1_000, "10^3, proof from 1"),
        (1_000, 999_000, ""),
        (999_000, N_BIG, "10^6, proof from 999,000 (1,000 records)"),
    ]:
        gas = _anchor(backend, tree, old, new, CID)
        if note:
            proof_len = len(tree.consistency_proof(old, new))
            figure(f"anchor at {new:,} ({note})", f"{gas:,}", f"{proof_len} proof hashes, CID set")
        if new == N_BIG:
            figure("  target at 10^6", "<= 90,000", "met" if gas <= 90_000 else "MISSED")
            figure("gas per record at 1,000 records per checkpoint", f"{gas / 1000:,.1f}")
    worst = 0
    for old in (N_BIG - 1, N_BIG - 3, N_BIG - 999, 524_287, 999_999):
        b = fresh()
        _anchor(b, tree, 0, old)
        worst = max(worst, _anchor(b, tree, old, N_BIG, CID))
    figure("anchor at 10^6, worst of five other previous sizes", f"{worst:,}")

    header(
        f"verifyInclusion() in a tree of 2^20 - 1 = {N_VERIFY:,} leaves (built in {build_s:.1f} s)"
    )
    _anchor(backend, tree, N_BIG, N_VERIFY)
    contract = backend._contract
    estimates = []
    for index in (0, 1, 524_287, N_VERIFY - 2, N_VERIFY - 1):
        proof = tree.inclusion_proof(index, N_VERIFY)
        leaf = leaf_hash(index.to_bytes(8, "big"))
        fn = contract.functions.verifyInclusion(leaf, index, N_VERIFY, proof)
        if not fn.call():
            raise RuntimeError(f"verifyInclusion refused leaf {index}")
        estimates.append((int(fn.estimate_gas()), len(proof)))
    gas, depth = max(estimates)
    figure(
        "eth_estimateGas, worst leaf (21,000 base included)", f"{gas:,}", f"{depth} proof hashes"
    )
    figure("  target", "<= 55,000", "met" if gas <= 55_000 else "MISSED")


def anchor_latencies(notary: Any, anchorer: Any, *, rounds: int) -> list[float]:
    """Seconds from asking for an anchor to its confirmation, ``rounds`` times, 1,000 new records
    each: checkpoint, consistency proof, signing, sending, mining, confirmations."""
    from notary.records import Record  # noqa: PLC0415

    samples = []
    for i in range(rounds):
        now = notary.clock()
        notary.submit(
            [Record(submitter="bench", data={"i": i, "j": j}, received_at=now) for j in range(1000)]
        )
        start = time.perf_counter()
        result = anchorer.run_once(force=True)
        if result is None or result.status != "confirmed":
            raise RuntimeError("anchor not confirmed")
        samples.append(time.perf_counter() - start)
    return samples


def _latency(tmp: Path) -> None:
    from eth_account import Account  # noqa: PLC0415
    from web3 import Web3  # noqa: PLC0415

    from anchors.chain import connect_rpc, deploy_contract  # noqa: PLC0415
    from api.service.anchoring import anchor_config, make_anchorer  # noqa: PLC0415
    from api.service.notary import Notary  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from tests.integration.anchors import nodes  # noqa: PLC0415

    node = nodes.anvil(tmp, "--block-time", "1")
    node.start()
    try:
        key = nodes.ANVIL_KEYS[0]
        account = Account.from_key(key)
        w3 = Web3(Web3.HTTPProvider(node.url))
        address = deploy_contract(w3, account, admin=account.address, anchorer=account.address)
        backend = connect_rpc(node.url, address, private_key=key)
        notary = Notary.open(Settings(data_dir=tmp / "data"))
        config = anchor_config(notary.settings, poll_interval_s=0.05)
        anchorer = make_anchorer(notary, backend, config=config)
        samples = anchor_latencies(notary, anchorer, rounds=6)
        anchorer.close()
        notary.close()
    finally:
        node.stop()
    header("anchorer submit-to-confirmed latency, anvil --block-time 1, 1 confirmation")
    figure(
        "median of 6 (checkpoint + proof + sign + send + mined)",
        f"{statistics.median(samples):.2f} s",
    )
    figure("min / max", f"{min(samples):.2f} / {max(samples):.2f} s")


def main() -> None:
    from tests.integration.anchors import nodes  # noqa: PLC0415

    if not nodes.anvil_available():
        print("\n== chain: anvil is not installed (run `npm ci`); skipped")
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        node = nodes.anvil(tmp)
        node.start()
        try:
            info = node.call("anvil_nodeInfo")
            node.hardfork = str(info.get("hardFork", "?"))  # type: ignore[attr-defined]
            _gas(node)
        finally:
            node.stop()
        _latency(tmp)


if __name__ == "__main__":
    main()
