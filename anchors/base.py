"""What the anchorer and verifiers need from a chain: the :class:`ChainReader` and
:class:`AnchorBackend` protocols and the plain values they exchange.

Both backends (the embedded eth-tester chain and any JSON-RPC node) implement these with the same
web3.py code (:class:`anchors.chain.Web3Chain`); only how the provider is made differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from notary.chainview import AnchorTx
from notary.errors import AnchorError

__all__ = [
    "RPC_READ_METHODS",
    "AnchorBackend",
    "ChainReader",
    "CheckpointAnchoredEvent",
    "JsonRpcServer",
    "SignedTx",
    "TransactionRejectedError",
    "TxReceipt",
]


class TransactionRejectedError(AnchorError):
    """The node refused a signed transaction (``nonce_too_low`` when its nonce is already used)."""

    code = "transaction_rejected"

    def __init__(self, message: str, *, nonce_too_low: bool = False) -> None:
        self.nonce_too_low = nonce_too_low
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed ``anchor()`` transaction, ready to broadcast (and to persist before that)."""

    tx_hash: str  # 0x-prefixed lowercase hex
    raw: bytes
    nonce: int


@dataclass(frozen=True, slots=True)
class TxReceipt:
    """A mined transaction: ``status`` 1 succeeded, 0 reverted."""

    tx_hash: str
    block_number: int
    block_hash: str
    status: int
    gas_used: int


@dataclass(frozen=True, slots=True)
class CheckpointAnchoredEvent:
    """A ``CheckpointAnchored`` event found on chain (who anchored a tree size, and where)."""

    tree_size: int
    root_hash: bytes
    manifest_cid: str
    anchorer: str
    tx_hash: str
    block_number: int
    block_hash: str


@runtime_checkable
class ChainReader(Protocol):
    """Read-only access to one EvidenceAnchor contract. Needs no key.

    Every method raises :class:`~notary.errors.ChainUnavailableError` when the node cannot be
    reached.
    """

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> str: ...

    def root_at(self, tree_size: int) -> bytes | None:
        """``rootAt(treeSize)``; None when that size was never anchored."""
        ...

    def latest_checkpoint(self) -> tuple[int, bytes | None]:
        """``latestCheckpoint()``: ``(0, None)`` before the first anchor."""
        ...

    def verify_inclusion(
        self, leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes]
    ) -> bool:
        """The contract's own ``verifyInclusion()``; False for anything but a valid proof."""
        ...

    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        """The mined transaction with the ``CheckpointAnchored`` events this contract emitted in
        it; None when the chain does not know it."""
        ...

    def anchored_manifest(self, tx_hash: str, tree_size: int) -> str | None:
        """The ``manifestCid`` of the ``CheckpointAnchored(tree_size, …)`` event this contract
        emitted in ``tx_hash``; None when it emitted none (or the transaction is not mined)."""
        ...

    def block_hash(self, number: int) -> str | None:
        """The hash of block ``number`` on the node's canonical chain; None beyond the head."""
        ...

    def block_number(self) -> int:
        """The head's number."""
        ...


class AnchorBackend(ChainReader, Protocol):
    """A :class:`ChainReader` that can also sign and send ``anchor()`` with the anchoring key."""

    @property
    def sender(self) -> str:
        """The anchoring account's address."""
        ...

    def sign_anchor(
        self, tree_size: int, root_hash: bytes, proof: Sequence[bytes], manifest_cid: str
    ) -> SignedTx:
        """Simulate ``anchor(...)`` (raising :class:`~notary.errors.ContractRevertError` if the
        contract would refuse it), then sign it with the next nonce. Sends nothing."""
        ...

    def send_raw(self, raw: bytes) -> str:
        """Broadcast a signed transaction; return its hash. Re-sending a known one is fine;
        :class:`TransactionRejectedError` when the node refuses it."""
        ...

    def receipt(self, tx_hash: str) -> TxReceipt | None:
        """The receipt on the canonical chain, or None while the transaction is not mined there."""
        ...

    def is_pending(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction but has not mined it."""
        ...

    def confirmations(self, receipt: TxReceipt) -> int:
        """Blocks on top of the receipt's, counting its own; 0 when its block left the chain."""
        ...

    def find_anchor(self, tree_size: int) -> CheckpointAnchoredEvent | None:
        """The ``CheckpointAnchored`` event of ``tree_size`` on the canonical chain, if any."""
        ...

    def revert_reason(self, tx_hash: str) -> str:
        """Why a mined transaction reverted, decoded from the contract's custom errors."""
        ...

    def resync_nonce(self) -> None:
        """Forget the locally tracked nonce; the next one is read from the node."""
        ...

    def poll(self) -> None:
        """Called while waiting for confirmations (the embedded chain mines an empty block)."""
        ...

    def close(self) -> None:
        """Release the connection's resources (the embedded chain's journal and lock)."""
        ...


#: What a chain's read-only JSON-RPC answers for others: reads only, enough for any verifier.
RPC_READ_METHODS = frozenset(
    {
        "eth_chainId",
        "net_version",
        "eth_blockNumber",
        "eth_call",
        "eth_getCode",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_getLogs",
    }
)


@runtime_checkable
class JsonRpcServer(Protocol):
    """A backend that answers Ethereum JSON-RPC reads itself (the embedded chain, which no node
    serves), so verifiers can read it exactly as they read a real node."""

    def rpc(self, method: str, params: list[Any]) -> dict[str, Any]:
        """The answer a node gives to ``method`` (one of :data:`RPC_READ_METHODS`): a JSON object
        with ``result`` or ``error``, in the node's encoding (``0x`` quantities and data)."""
        ...
