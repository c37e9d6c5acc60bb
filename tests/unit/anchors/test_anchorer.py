"""The anchorer against in-memory stand-ins for its ports (anchors.ports) and a scripted chain:
no database, no node, no sleeping (its clocks are injected)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import cast

from anchors.anchorer import AnchorConfig, Anchorer
from anchors.base import AnchorBackend, CheckpointAnchoredEvent, SignedTx, TxReceipt
from anchors.ports import AnchorRow, AnchorStatus
from notary.merkle import MerkleTree, verify_consistency
from notary.signing import Checkpoint, NotaryKey, verify_checkpoint

NOW = "2026-11-23T00:00:00Z"
KEY = NotaryKey.from_seed(bytes(32))


class Log:
    """LogSource and CheckpointPublisher over an in-memory tree."""

    def __init__(self) -> None:
        self.tree = MerkleTree()
        self.published: dict[int, Checkpoint] = {}

    def add(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(b"entry %d" % self.tree.size)

    def state(self) -> tuple[int, bytes]:
        return self.tree.size, self.tree.root()

    def root(self, size: int) -> bytes:
        return self.tree.root(size)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self.tree.consistency_proof(size1, size2)

    def publish_checkpoint(self) -> Checkpoint:
        size, root = self.state()
        return self.published.setdefault(size, KEY.sign_checkpoint(size, root, NOW))


class Ledger:
    """AnchorLedger in a list."""

    def __init__(self) -> None:
        self.rows: list[AnchorRow] = []

    def record_signed(self, **fields: object) -> AnchorRow:
        row = AnchorRow(
            id=len(self.rows) + 1,
            status="pending",
            block_number=None,
            block_hash=None,
            confirmed_at=None,
            detail=None,
            **fields,  # type: ignore[arg-type]
        )
        self.rows.append(row)
        return row

    def get(self, anchor_id: int) -> AnchorRow | None:
        return next((r for r in self.rows if r.id == anchor_id), None)

    def pending(self) -> list[AnchorRow]:
        return [r for r in self.rows if r.status == "pending"]

    def _set(self, anchor_id: int, **changes: object) -> None:
        self.rows = [
            dataclasses.replace(r, **changes) if r.id == anchor_id else r  # type: ignore[arg-type]
            for r in self.rows
        ]

    def mark_confirmed(
        self, anchor_id: int, *, block_number: int, block_hash: str, at: str
    ) -> None:
        self._set(
            anchor_id,
            status="confirmed",
            block_number=block_number,
            block_hash=block_hash,
            confirmed_at=at,
        )

    def mark(self, anchor_id: int, status: AnchorStatus, detail: str | None = None) -> None:
        self._set(anchor_id, status=status, detail=detail)

    def note_block(
        self, anchor_id: int, *, block_number: int | None, block_hash: str | None
    ) -> None:
        self._set(anchor_id, block_number=block_number, block_hash=block_hash)


class Lock:
    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class Chain:
    """The parts of an AnchorBackend the anchorer uses: a contract that checks consistency, and a
    block mined per transaction or per poll."""

    chain_id = 31337
    contract_address = "0x" + "ab" * 20

    def __init__(self) -> None:
        self.anchored: dict[int, bytes] = {}
        self.latest = 0
        self.head = 0
        self.mined: dict[str, int] = {}
        self.signed: dict[str, tuple[int, bytes, Sequence[bytes]]] = {}

    def latest_checkpoint(self) -> tuple[int, bytes | None]:
        return self.latest, self.anchored.get(self.latest)

    def root_at(self, tree_size: int) -> bytes | None:
        return self.anchored.get(tree_size)

    def sign_anchor(
        self, tree_size: int, root_hash: bytes, proof: Sequence[bytes], manifest_cid: str
    ) -> SignedTx:
        if self.latest:
            verify_consistency(
                self.latest, tree_size, self.anchored[self.latest], root_hash, list(proof)
            )
        tx_hash = f"0x{len(self.signed) + 1:064x}"
        self.signed[tx_hash] = (tree_size, root_hash, proof)
        return SignedTx(tx_hash, tx_hash.encode(), len(self.signed) - 1)

    def send_raw(self, raw: bytes) -> str:
        tx_hash = raw.decode()
        size, root, _ = self.signed[tx_hash]
        self.anchored[size], self.latest = root, size
        self.head += 1
        self.mined[tx_hash] = self.head
        return tx_hash

    def receipt(self, tx_hash: str) -> TxReceipt | None:
        block = self.mined.get(tx_hash)
        if block is None:
            return None
        return TxReceipt(tx_hash, block, f"0x{block:064x}", 1, 50_000)

    def is_pending(self, tx_hash: str) -> bool:
        return False

    def confirmations(self, receipt: TxReceipt) -> int:
        return self.head - receipt.block_number + 1

    def poll(self) -> None:
        self.head += 1

    def find_anchor(self, tree_size: int) -> CheckpointAnchoredEvent | None:
        return None

    def revert_reason(self, tx_hash: str) -> str:
        return "reverted"

    def resync_nonce(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _anchorer(log: Log, chain: Chain, ledger: Ledger, clock: Clock, **config: float) -> Anchorer:
    return Anchorer(
        log=log,
        checkpoints=log,
        backend=cast(AnchorBackend, chain),
        store=ledger,
        lock=Lock(),
        config=AnchorConfig(**config),  # type: ignore[arg-type]
        clock=lambda: NOW,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


def test_anchors_at_once_then_only_when_the_interval_has_passed() -> None:
    log, chain, ledger, clock = Log(), Chain(), Ledger(), Clock()
    anchorer = _anchorer(log, chain, ledger, clock, interval_s=30.0, max_batch=100)
    log.add(5)
    first = anchorer.run_once()
    assert first is not None and first.status == "confirmed" and first.tree_size == 5
    assert first.checkpoint is not None and first.root_hash == log.root(5)
    verify_checkpoint(first.checkpoint, KEY.public_key)

    log.add(3)
    clock.now += 29.0
    assert anchorer.run_once() is None  # not due: nothing signed
    assert len(chain.signed) == 1
    clock.now += 1.0
    second = anchorer.run_once()
    assert second is not None and second.tree_size == 8 and chain.root_at(8) == log.root(8)
    assert [(r.tree_size, r.from_size, r.status) for r in ledger.rows] == [
        (5, 0, "confirmed"),
        (8, 5, "confirmed"),
    ]
    assert clock.slept == []  # one confirmation: mined in the transaction's own block


def test_a_full_batch_is_anchored_before_the_interval() -> None:
    log, chain, ledger, clock = Log(), Chain(), Ledger(), Clock()
    anchorer = _anchorer(log, chain, ledger, clock, interval_s=3600.0, max_batch=10)
    log.add(1)
    assert anchorer.run_once() is not None
    log.add(9)
    assert anchorer.run_once() is None
    log.add(1)
    done = anchorer.run_once()
    assert done is not None and done.tree_size == 11


def test_waits_for_confirmations_on_the_injected_clock() -> None:
    log, chain, ledger, clock = Log(), Chain(), Ledger(), Clock()
    anchorer = _anchorer(log, chain, ledger, clock, confirmations=3, poll_interval_s=0.5)
    log.add(4)
    result = anchorer.run_once(force=True)
    assert result is not None and result.status == "confirmed"
    assert clock.slept == [0.5, 0.5]  # two more blocks polled for, without sleeping


def test_gives_up_waiting_at_the_timeout_and_settles_in_a_later_round() -> None:
    log, chain, ledger, clock = Log(), Chain(), Ledger(), Clock()
    anchorer = _anchorer(
        log, chain, ledger, clock, confirmations=5, poll_interval_s=1.0, confirm_timeout_s=2.0
    )
    log.add(4)
    pending = anchorer.run_once(force=True)
    assert pending is not None and pending.status == "pending" and pending.checkpoint is not None
    chain.head += 5
    settled = anchorer.run_once()
    assert settled is not None and settled.status == "confirmed" and settled.checkpoint is None
