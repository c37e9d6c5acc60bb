"""Anchors on chain, as the core sees them: where a checkpoint's root is anchored (:class:`Anchor`),
read access to the trusted contract (:class:`ChainView`, implemented by ``anchors/``), and the
``anchor`` / ``anchor_tx`` checks every verifier makes against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from notary.errors import NotaryError
from notary.signing import Checkpoint
from notary.trust import TrustedChain
from notary.verdict import Check

__all__ = ["Anchor", "AnchorTx", "ChainView", "check_anchor"]

Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
TxHash = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]


class Anchor(BaseModel):
    """Where a checkpoint's root is anchored: the EvidenceAnchor contract on an EVM chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: StrictInt = Field(ge=0)
    contract: Address
    tx_hash: TxHash
    block_number: StrictInt = Field(ge=0)
    block_hash: TxHash


@dataclass(frozen=True, slots=True)
class AnchorTx:
    """What a chain says of an anchoring transaction: its outcome, its block, and the
    ``CheckpointAnchored(treeSize, rootHash)`` events the trusted contract emitted in it."""

    tx_hash: str
    status: int
    block_number: int
    block_hash: str
    anchored: tuple[tuple[int, bytes], ...]


class ChainView(Protocol):
    """Read access to one EvidenceAnchor contract on one chain, through a node the verifier
    trusts. Methods raise a :class:`~notary.errors.NotaryError` when the node cannot answer."""

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> str: ...

    def root_at(self, tree_size: int) -> bytes | None:
        """``rootAt(treeSize)``; None when never anchored."""
        ...

    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        """The mined transaction ``tx_hash``; None when the chain does not know it."""
        ...

    def block_hash(self, number: int) -> str | None:
        """The hash of the canonical block at ``number`` (0x-hex); None past the head."""
        ...

    def block_number(self) -> int: ...


def check_anchor(
    checkpoint: Checkpoint,
    anchor: Anchor | None,
    chains: Sequence[TrustedChain],
    view: ChainView | None,
) -> list[Check]:
    """The ``anchor`` and ``anchor_tx`` checks of ``checkpoint``'s root on one of the trusted
    ``chains``, read through ``view`` (used only when it is the trusted chain and contract)."""
    if not chains:
        return [Check("anchor", None, "no chain is named by this verifier (--rpc-url, --trust)")]
    if anchor is None:
        return [Check("anchor", None, "the bundle names no anchor: not yet anchored")]
    trusted = next((c for c in chains if c.names(anchor.chain_id, anchor.contract)), None)
    if trusted is None:
        theirs = "; ".join(c.describe() for c in chains)
        where = f"chain {anchor.chain_id}, contract {anchor.contract.lower()}"
        return [Check("anchor", False, f"anchored on {where}, which is not the trusted {theirs}")]
    if view is None or not trusted.names(view.chain_id, view.contract_address):
        return [Check("anchor", None, f"not checked: no connection to {trusted.describe()}")]
    try:
        return _read_anchor(checkpoint, anchor, trusted, view)
    except NotaryError as e:
        return [Check("anchor", None, f"could not read {trusted.describe()}: {e}")]


def _read_anchor(
    cp: Checkpoint, anchor: Anchor, trusted: TrustedChain, view: ChainView
) -> list[Check]:
    root = view.root_at(cp.tree_size)
    if root is None or root == bytes(32):
        return [Check("anchor", False, f"tree size {cp.tree_size} is not anchored on chain")]
    if root.hex() != cp.root_hash:
        return [Check("anchor", False, f"the chain's root for size {cp.tree_size} is {root.hex()}")]
    checks = [Check("anchor", True, f"rootAt({cp.tree_size}) of {trusted.describe()} is the root")]
    tx = view.anchor_tx(anchor.tx_hash)
    if tx is None:
        return [*checks, Check("anchor_tx", False, f"no transaction {anchor.tx_hash} on chain")]
    problem = None
    if tx.status != 1:
        problem = f"transaction {tx.tx_hash} reverted"
    elif (tx.block_number, tx.block_hash) != (anchor.block_number, anchor.block_hash):
        problem = (
            f"the transaction is in block {tx.block_number} ({tx.block_hash}), the bundle says "
            f"{anchor.block_number} ({anchor.block_hash})"
        )
    elif view.block_hash(tx.block_number) != tx.block_hash:
        problem = f"block {tx.block_number} is no longer on the canonical chain"
    elif (cp.tree_size, root) not in tx.anchored:
        problem = (
            f"transaction {tx.tx_hash} emitted no CheckpointAnchored({cp.tree_size}, root) "
            "from the trusted contract"
        )
    if problem is not None:
        return [*checks, Check("anchor_tx", False, problem)]
    depth = view.block_number() - tx.block_number + 1
    if depth < trusted.confirmations:
        detail = f"{depth} of {trusted.confirmations} confirmations so far"
        return [*checks, Check("anchor_tx", None, detail)]
    detail = f"anchored in block {tx.block_number} ({tx.block_hash}), {depth} confirmations"
    return [*checks, Check("anchor_tx", True, detail)]
