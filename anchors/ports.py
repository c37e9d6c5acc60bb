"""What the anchorer needs from the rest of the service, as small protocols.

The anchorer (:mod:`anchors.anchorer`) imports nothing of ``api``: the service hands it

- a :class:`LogSource` — the log's size and root, and consistency proofs (``api``'s ``LogStore``);
- a :class:`CheckpointPublisher` — signs and stores a checkpoint of the whole log (the
  ``Notary`` service: the one signer of receipts and checkpoints);
- an :class:`AnchorLedger` — where each signed ``anchor()`` transaction is kept as an
  :class:`AnchorRow` before it is sent (``api``'s ``AnchorStore``, the ``anchors`` table);
- a :class:`LeaderLock` — one anchorer per database (``api``'s ``AnchorerLock``).

Statuses of an :class:`AnchorRow`: ``pending`` (signed, perhaps sent, not yet confirmed),
``confirmed`` (mined and deep enough; ``block_number``/``block_hash`` set), ``failed`` (mined but
reverted, or refused by the node; ``detail`` says why), ``superseded`` (never mined, and the chain
has since anchored this size or a larger one by another transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from notary.chainview import Anchor
from notary.signing import Checkpoint

__all__ = [
    "AnchorLedger",
    "AnchorRow",
    "AnchorStatus",
    "CheckpointPublisher",
    "LeaderLock",
    "LogSource",
]

AnchorStatus = Literal["pending", "confirmed", "failed", "superseded"]


@dataclass(frozen=True, slots=True)
class AnchorRow:
    """One ``anchor()`` transaction the anchorer signed, as its ledger keeps it (written before
    the transaction is sent, so a killed process finds it again and never anchors twice)."""

    id: int
    tree_size: int
    root_hash: bytes
    from_size: int
    chain_id: int
    contract: str
    tx_hash: str
    nonce: int
    raw_tx: bytes
    status: str
    block_number: int | None
    block_hash: str | None
    created_at: str
    confirmed_at: str | None
    detail: str | None

    def bundle_anchor(self) -> Anchor:
        """The ``anchor`` field of a proof bundle. Requires a confirmed anchor."""
        if self.block_number is None or self.block_hash is None:
            raise ValueError(f"anchor of tree size {self.tree_size} is not confirmed")
        return Anchor(
            chain_id=self.chain_id,
            contract=self.contract,
            tx_hash=self.tx_hash,
            block_number=self.block_number,
            block_hash=self.block_hash,
        )


class LogSource(Protocol):
    """Read access to the log being anchored. Requires ``0 <= size <= state()[0]``."""

    def state(self) -> tuple[int, bytes]:
        """The log's current size and root, read together."""
        ...

    def root(self, size: int) -> bytes:
        """The root of the log's first ``size`` entries."""
        ...

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """RFC 6962 consistency proof from size ``size1`` to ``size2``."""
        ...


class CheckpointPublisher(Protocol):
    def publish_checkpoint(self) -> Checkpoint:
        """Sign the log's current size and root and store it (the checkpoint already stored for
        that size, if any); return the stored checkpoint."""
        ...


class AnchorLedger(Protocol):
    """The anchorer's record of its ``anchor()`` transactions."""

    def record_signed(
        self,
        *,
        tree_size: int,
        root_hash: bytes,
        from_size: int,
        chain_id: int,
        contract: str,
        tx_hash: str,
        nonce: int,
        raw_tx: bytes,
        created_at: str,
    ) -> AnchorRow:
        """Persist a signed transaction as ``pending`` (call before sending it)."""
        ...

    def get(self, anchor_id: int) -> AnchorRow | None: ...

    def pending(self) -> Sequence[AnchorRow]:
        """Pending rows, oldest nonce first."""
        ...

    def mark_confirmed(
        self, anchor_id: int, *, block_number: int, block_hash: str, at: str
    ) -> None: ...

    def mark(self, anchor_id: int, status: AnchorStatus, detail: str | None = None) -> None: ...

    def note_block(
        self, anchor_id: int, *, block_number: int | None, block_hash: str | None
    ) -> None:
        """Remember the block a pending transaction was last seen in (cleared after a reorg)."""
        ...


class LeaderLock(Protocol):
    """Held by at most one anchorer of a log at a time."""

    def acquire(self) -> bool:
        """Take the lock if free; True when this object holds it (now or already)."""
        ...

    def release(self) -> None: ...
