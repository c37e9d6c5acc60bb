"""The EvidenceAnchor contract through web3.py: one implementation of :class:`ChainReader` and
:class:`AnchorBackend` for every chain, whatever the provider (eth-tester in process, or JSON-RPC).

- Fees: EIP-1559 when the head block has a base fee, legacy ``gasPrice`` otherwise (permissioned
  chains often run free gas: a zero price is used as the node reports it).
- Nonces: :class:`NonceManager` hands out ``max(node's pending count, last handed out + 1)`` under a
  lock, so concurrent sends never share one and a restart starts from the node's count. The
  anchorer persists each signed transaction with its nonce before sending it.
- Errors: an unreachable node is :class:`ChainUnavailableError`; a contract refusal is
  :class:`ContractRevertError` with the custom error decoded.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.middleware import ExtraDataToPOAMiddleware

from anchors.base import CheckpointAnchoredEvent, SignedTx, TransactionRejectedError, TxReceipt
from anchors.contract import artifact, revert_data, revert_error, tester_revert_data
from anchors.failover import FailoverHTTPProvider
from notary.chainview import AnchorTx
from notary.errors import AnchorError, ChainUnavailableError, ContractNotFoundError

__all__ = [
    "NonceManager",
    "TransactionRejectedError",
    "Web3Chain",
    "connect_rpc",
    "deploy_contract",
]

_UINT64 = 2**64 - 1
_MAX_PROOF = 128
_GWEI = 10**9


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


class NonceManager:
    """Nonces for one account: never the same twice in this process, resynced from the node."""

    def __init__(self, fetch: Callable[[], int]) -> None:
        self._fetch = fetch
        self._next: int | None = None
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            nonce = self._fetch() if self._next is None else max(self._fetch(), self._next)
            self._next = nonce + 1
            return nonce

    def resync(self) -> None:
        with self._lock:
            self._next = None


class Web3Chain:
    """EvidenceAnchor at ``contract_address`` through ``w3``. Without ``account`` it only reads.

    ``idle_miner`` (the embedded chain) is called by :meth:`poll` to mine an empty block, so
    confirmations accrue on a chain that has no other traffic.
    """

    def __init__(
        self,
        w3: Web3,
        contract_address: str,
        *,
        account: LocalAccount | None = None,
        description: str = "the Ethereum node",
        priority_fee_wei: int | None = None,
        idle_miner: Callable[[], None] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.w3 = w3
        self._on_close = on_close
        try:
            self._address = to_checksum_address(contract_address)
        except ValueError as e:
            raise AnchorError(f"{contract_address!r} is not a contract address") from e
        self._contract = w3.eth.contract(address=self._address, abi=artifact()["abi"])
        self._account = account
        self._description = description
        self._priority_fee = priority_fee_wei
        self._idle_miner = idle_miner
        self._chain_id: int | None = None
        self._lock = threading.RLock()
        self.nonces = NonceManager(self._pending_nonce)
        #: The gas limit for an estimate: a margin for state that changes before mining.
        self.gas_limit: Callable[[int], int] = lambda estimate: estimate * 5 // 4 + 20_000

    # --- plumbing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        with self._lock:
            try:
                yield
            except AnchorError:
                raise
            except ContractLogicError as e:
                raise revert_error(revert_data(e), context=what) from e
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, OSError) as e:
                raise ChainUnavailableError(
                    f"{what}: cannot reach {self._description}: {type(e).__name__}"
                ) from e
            except Exception as e:
                data = tester_revert_data(e)
                if data is None:  # not a revert: an answer web3 or the node did not expect
                    raise AnchorError(
                        f"{what}: {self._description} failed unexpectedly: "
                        f"{type(e).__name__}: {str(e)[:300]}"
                    ) from e
                raise revert_error(data, context=what) from e

    def _pending_nonce(self) -> int:
        return int(self.w3.eth.get_transaction_count(cast(Any, self.sender), "pending"))

    # --- ChainReader ----------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with self._guard("reading the chain id"):
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    @property
    def contract_address(self) -> str:
        return self._address

    def require_contract(self) -> None:
        """Raise :class:`ContractNotFoundError` unless code is deployed at the contract address (a
        call to an address without code answers nothing, which web3 fails to decode)."""
        with self._guard(f"reading the code at {self._address}"):
            code = bytes(self.w3.eth.get_code(self._address))
        if not code:
            raise ContractNotFoundError(
                f"no contract at {self._address} on chain {self.chain_id}: check --contract, and "
                f"that {self._description} serves the chain it was deployed on"
            )

    def root_at(self, tree_size: int) -> bytes | None:
        if not isinstance(tree_size, int) or not 0 <= tree_size <= _UINT64:
            return None
        with self._guard(f"reading rootAt({tree_size})"):
            root = bytes(self._contract.functions.rootAt(tree_size).call())
        return None if root == bytes(32) else root

    def latest_checkpoint(self) -> tuple[int, bytes | None]:
        with self._guard("reading latestCheckpoint()"):
            size, root = self._contract.functions.latestCheckpoint().call()
        root = bytes(root)
        return int(size), (None if root == bytes(32) else root)

    def verify_inclusion(
        self, leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes]
    ) -> bool:
        def ok_int(x: object) -> bool:
            return isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= _UINT64

        if not (ok_int(leaf_index) and ok_int(tree_size)):
            return False
        if not isinstance(proof, list | tuple) or len(proof) > _MAX_PROOF:
            return False
        hashes = [leaf_hash, *proof]
        if not all(isinstance(h, bytes | bytearray) and len(h) == 32 for h in hashes):
            return False
        with self._guard("calling verifyInclusion()"):
            fn = self._contract.functions.verifyInclusion(
                bytes(leaf_hash), leaf_index, tree_size, [bytes(p) for p in proof]
            )
            return bool(fn.call())

    def _anchored_events(self, tx_hash: str) -> tuple[Any, Any] | None:
        """The mined receipt of ``tx_hash`` and the ``CheckpointAnchored`` events the trusted
        contract emitted in it; None when not mined."""
        r = self._mined_receipt(tx_hash)
        if r is None:
            return None
        # Only logs the trusted contract emitted: a forger's contract emits the same event.
        ours = [log for log in r["logs"] if str(log["address"]).lower() == self._address.lower()]
        events = self._contract.events.CheckpointAnchored().process_receipt(
            cast(Any, {**r, "logs": ours}), errors=DISCARD
        )
        return r, events

    def anchored_manifest(self, tx_hash: str, tree_size: int) -> str | None:
        """The ``manifestCid`` of ``CheckpointAnchored(tree_size, …)`` in ``tx_hash``, if any."""
        found = self._anchored_events(tx_hash)
        if found is None:
            return None
        sizes = {int(e["args"]["treeSize"]): str(e["args"]["manifestCid"]) for e in found[1]}
        return sizes.get(tree_size)

    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        found = self._anchored_events(tx_hash)
        if found is None:
            return None
        r, events = found
        return AnchorTx(
            tx_hash=tx_hash,
            status=int(r["status"]),
            block_number=int(r["blockNumber"]),
            block_hash=_hex(r["blockHash"]),
            anchored=tuple(
                (int(e["args"]["treeSize"]), bytes(e["args"]["rootHash"])) for e in events
            ),
        )

    def block_hash(self, number: int) -> str | None:
        with self._guard(f"reading block {number}"):
            try:
                block = self.w3.eth.get_block(number)
            except BlockNotFound:
                return None
        h = block.get("hash")
        return _hex(h) if h is not None else None

    def block_number(self) -> int:
        with self._guard("reading the head block"):
            return int(self.w3.eth.block_number)

    # --- AnchorBackend --------------------------------------------------------------------------

    @property
    def sender(self) -> str:
        if self._account is None:
            raise AnchorError("this chain connection has no anchoring key (read-only)")
        return str(self._account.address)

    def _fees(self) -> dict[str, int]:
        latest = self.w3.eth.get_block("latest")
        base = latest.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self.w3.eth.gas_price)}
        priority = self._priority_fee
        if priority is None:
            try:
                priority = int(self.w3.eth.max_priority_fee)
            except (Web3Exception, ValueError):
                priority = _GWEI
        return {"maxFeePerGas": 2 * int(base) + priority, "maxPriorityFeePerGas": priority}

    def sign_anchor(
        self, tree_size: int, root_hash: bytes, proof: Sequence[bytes], manifest_cid: str
    ) -> SignedTx:
        account = self._account
        if account is None:
            raise AnchorError("this chain connection has no anchoring key (read-only)")
        fn = self._contract.functions.anchor(
            tree_size, root_hash, [bytes(p) for p in proof], manifest_cid
        )
        what = f"anchoring tree size {tree_size}"
        with self._guard(what):
            estimate = int(fn.estimate_gas({"from": account.address}))
            tx = fn.build_transaction(
                cast(
                    Any,
                    {
                        "from": account.address,
                        "chainId": self.chain_id,
                        "gas": self.gas_limit(estimate),
                        "nonce": self.nonces.take(),
                        **self._fees(),
                    },
                )
            )
            signed = account.sign_transaction(cast(dict[str, Any], tx))
        return SignedTx(_hex(signed.hash), bytes(signed.raw_transaction), int(tx["nonce"]))

    def send_raw(self, raw: bytes) -> str:
        tx_hash = _hex(keccak(raw))
        with self._guard(f"sending {tx_hash}"):
            try:
                return _hex(self.w3.eth.send_raw_transaction(raw))
            except (
                Web3RPCError,
                ValueError,
            ) as e:  # eth-tester raises ValidationError(ValueError-like)
                message = str(e).lower()
            except Exception as e:
                message = str(e).lower()
            if (
                "already known" in message
                or "known transaction" in message
                or "alreadyknown" in message
            ):
                return tx_hash
            if self.receipt(tx_hash) is not None or self.is_pending(tx_hash):
                return tx_hash
            low = (
                "nonce too low" in message
                or "nonce is too low" in message
                or "nonce too small" in message
            )
            if low or "invalid nonce" in message:
                self.nonces.resync()
            raise TransactionRejectedError(
                f"the node refused {tx_hash}: {message}", nonce_too_low=low
            )

    def _mined_receipt(self, tx_hash: str) -> Any:
        """The node's receipt of a mined transaction; None when unknown or not yet mined."""
        with self._guard(f"reading the receipt of {tx_hash}"):
            try:
                r = self.w3.eth.get_transaction_receipt(cast(Any, tx_hash))
            except TransactionNotFound:
                return None
        return None if r is None or r.get("blockNumber") is None else r

    def receipt(self, tx_hash: str) -> TxReceipt | None:
        r = self._mined_receipt(tx_hash)
        if r is None:
            return None
        return TxReceipt(
            tx_hash=tx_hash,
            block_number=int(r["blockNumber"]),
            block_hash=_hex(r["blockHash"]),
            status=int(r["status"]),
            gas_used=int(r["gasUsed"]),
        )

    def is_pending(self, tx_hash: str) -> bool:
        with self._guard(f"looking up {tx_hash}"):
            try:
                tx = self.w3.eth.get_transaction(cast(Any, tx_hash))
            except TransactionNotFound:
                return False
        return tx is not None and tx.get("blockNumber") is None

    def confirmations(self, receipt: TxReceipt) -> int:
        if self.block_hash(receipt.block_number) != receipt.block_hash:
            return 0
        return self.block_number() - receipt.block_number + 1

    def poll(self) -> None:
        """Called while waiting for confirmations: the embedded chain mines an empty block."""
        if self._idle_miner is not None:
            with self._lock:
                self._idle_miner()

    def find_anchor(self, tree_size: int) -> CheckpointAnchoredEvent | None:
        with self._guard(f"searching the CheckpointAnchored event of size {tree_size}"):
            logs = self._contract.events.CheckpointAnchored().get_logs(
                from_block=0, argument_filters={"treeSize": tree_size}
            )
        for log in logs:
            if log.get("removed"):
                continue
            args = log["args"]
            return CheckpointAnchoredEvent(
                tree_size=int(args["treeSize"]),
                root_hash=bytes(args["rootHash"]),
                manifest_cid=str(args["manifestCid"]),
                anchorer=str(args["anchorer"]),
                tx_hash=_hex(log["transactionHash"]),
                block_number=int(log["blockNumber"]),
                block_hash=_hex(log["blockHash"]),
            )
        return None

    def revert_reason(self, tx_hash: str) -> str:
        with self._guard(f"replaying {tx_hash}"):
            tx = self.w3.eth.get_transaction(cast(Any, tx_hash))
            r = self.w3.eth.get_transaction_receipt(cast(Any, tx_hash))
            if int(r["gasUsed"]) >= int(tx["gas"]):
                return f"ran out of gas (limit {tx['gas']})"
            call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
            try:
                # The block's post-state: it includes whatever got in first and made this revert.
                self.w3.eth.call(cast(Any, call), block_identifier=int(r["blockNumber"]))
            except ContractLogicError as e:
                return str(revert_error(revert_data(e), context="reverted"))
            except Exception as e:
                data = tester_revert_data(e)
                if data is None:
                    raise
                return str(revert_error(data, context="reverted"))
        return "reverted (the replay no longer fails: the chain's state has moved on)"

    def resync_nonce(self) -> None:
        self.nonces.resync()

    def close(self) -> None:
        """Release what the connection holds (the embedded chain's journal and lock)."""
        if self._on_close is not None:
            self._on_close()


def connect_rpc(
    url: str | Sequence[str],
    contract_address: str,
    *,
    private_key: str | None = None,
    timeout_s: float = 10.0,
    priority_fee_wei: int | None = None,
) -> Web3Chain:
    """EvidenceAnchor on the node at ``url``. Contacts the node only when first used, so an
    anchorer starts while the node is down and catches up when it is back.

    Several URLs (nodes of the same chain, the preferred first) fail over from one to the next
    when a node cannot be reached (:class:`~anchors.failover.FailoverHTTPProvider`)."""
    urls = [url] if isinstance(url, str) else list(url)
    provider: Any = (
        Web3.HTTPProvider(urls[0], request_kwargs={"timeout": timeout_s})
        if len(urls) == 1
        else FailoverHTTPProvider(urls, timeout_s=timeout_s)
    )
    w3 = Web3(provider)
    # PoA chains (geth clique, Besu QBFT/IBFT) carry over 32 bytes of extraData; harmless elsewhere.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    account = Account.from_key(private_key) if private_key else None
    return Web3Chain(
        w3,
        contract_address,
        account=account,
        description=f"the Ethereum node at {' or '.join(urls)}",
        priority_fee_wei=priority_fee_wei,
    )


def deploy_contract(
    w3: Web3,
    account: LocalAccount,
    *,
    admin: str,
    anchorer: str | None,
    send: Callable[[bytes], Any] | None = None,
) -> str:
    """Deploy EvidenceAnchor from ``account``; return its address once mined.

    ``admin`` gets DEFAULT_ADMIN_ROLE, ``anchorer`` ANCHORER_ROLE (none if None).
    """
    art = artifact()
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    zero = "0x" + "00" * 20
    ctor = factory.constructor(to_checksum_address(admin), to_checksum_address(anchorer or zero))
    try:
        latest = w3.eth.get_block("latest")
        nonce = int(w3.eth.get_transaction_count(account.address, "pending"))
        tx: dict[str, Any] = {
            "from": account.address,
            "nonce": nonce,
            "chainId": int(w3.eth.chain_id),
        }
        tx["gas"] = int(ctor.estimate_gas({"from": account.address})) * 5 // 4 + 50_000
        base = latest.get("baseFeePerGas")
        if base is None:
            tx["gasPrice"] = int(w3.eth.gas_price)
        else:
            tx["maxPriorityFeePerGas"] = _GWEI
            tx["maxFeePerGas"] = 2 * int(base) + _GWEI
        built = ctor.build_transaction(cast(Any, tx))
        signed = account.sign_transaction(cast(dict[str, Any], built))
        (send or w3.eth.send_raw_transaction)(bytes(signed.raw_transaction))
        receipt = w3.eth.wait_for_transaction_receipt(signed.hash, timeout=120, poll_latency=0.2)
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, OSError) as e:
        raise ChainUnavailableError(f"cannot reach the Ethereum node to deploy: {e}") from e
    except ContractLogicError as e:
        raise revert_error(revert_data(e), context="deploying EvidenceAnchor") from e
    if int(receipt["status"]) != 1 or not receipt.get("contractAddress"):
        raise AnchorError(f"deploying EvidenceAnchor failed in transaction {_hex(signed.hash)}")
    return str(receipt["contractAddress"])
