"""The embedded chain: an in-process eth-tester (py-evm) chain that survives restarts.

For trials on one machine only: it proves nothing to anyone else (see docs/chain.md).

Persistence is a journal, ``DATA_DIR/chain/blocks.jsonl``: a first line with the genesis
parameters, then one line per mined block ``{"n", "ts", "hash", "txs": [raw signed tx hex]}``,
appended and fsynced as each block is mined. Blocks are made deterministic (timestamps come from
the journal, ``mix_hash`` is derived from the parent hash instead of random), so replaying the
journal at start rebuilds the same chain: the same contract address and the same block hashes,
so every anchor recorded before the restart still verifies. A replayed block whose hash differs
from the journal's stops the start with an :class:`AnchorError`.

No node serves this chain, so its backend (:class:`EmbeddedBackend`) answers read-only JSON-RPC
itself (:meth:`EmbeddedBackend.rpc`), which the API forwards at ``/v1/chain/rpc``.

The anchoring key is ``SUNLIGHT_ANCHOR_PRIVATE_KEY`` or, when empty, ``DATA_DIR/chain/anchor_key``
(generated on first start, mode 0600); genesis funds it. The contract is deployed by the first
transaction of the chain, with that key holding both roles.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend  # type: ignore[import-untyped]
from eth_tester.backends.pyevm.main import (  # type: ignore[import-untyped]
    get_default_account_state,
    get_default_genesis_params,
)
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak
from filelock import FileLock, Timeout
from web3 import EthereumTesterProvider, Web3
from web3.middleware import combine_middleware

from anchors.base import RPC_READ_METHODS
from anchors.chain import Web3Chain, deploy_contract
from notary.errors import AnchorError

__all__ = ["EmbeddedBackend", "EmbeddedChain"]

_JOURNAL_VERSION = 1
_MIX_DOMAIN = b"sunlight-embedded-chain/mix_hash"


class _JournaledBackend(PyEVMBackend):  # type: ignore[misc]
    """PyEVMBackend with deterministic blocks and a journal of the raw transactions mined."""

    def __init__(self, genesis_parameters: dict[str, Any], genesis_state: dict[bytes, Any]) -> None:
        self.journal: Any = None  # an open text file, or None while replaying
        self.replay_timestamp: int | None = None
        self._raw: list[bytes] = []
        super().__init__(genesis_parameters=genesis_parameters, genesis_state=genesis_state)

    def _set_timestamp(self) -> None:
        if self.replay_timestamp is not None:
            ts = self.replay_timestamp
        else:
            parent = self.chain.get_canonical_head()
            ts = max(int(time.time()), parent.timestamp + 1)
        self.chain.header = self.chain.header.copy(timestamp=ts)

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        if not self._raw:
            self._set_timestamp()
        tx_hash: bytes = super().send_raw_transaction(raw_transaction)
        self._raw.append(bytes(raw_transaction))
        return tx_hash

    def send_transaction(self, transaction: Any) -> Any:
        raise AnchorError("the embedded chain accepts only signed raw transactions")

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = b"\x00" * 20) -> tuple[bytes, ...]:
        hashes = []
        for _ in range(num_blocks):
            if not self._raw:
                self._set_timestamp()
            parent = self.chain.get_canonical_head()
            mix = hashlib.sha256(_MIX_DOMAIN + parent.hash).digest()
            block = self.chain.mine_block(coinbase=coinbase, mix_hash=mix, blob_gas_used=0)
            if self.journal is not None:
                line = {
                    "n": block.number,
                    "ts": block.header.timestamp,
                    "hash": "0x" + block.hash.hex(),
                    "txs": ["0x" + r.hex() for r in self._raw],
                }
                self.journal.write(json.dumps(line, separators=(",", ":")) + "\n")
                self.journal.flush()
                os.fsync(self.journal.fileno())
            self._raw = []
            hashes.append(block.hash)
        return tuple(hashes)


class EmbeddedChain:
    """The persistent in-process chain in ``directory``, with EvidenceAnchor deployed on it.

    Use :attr:`backend` (an :class:`EmbeddedBackend`). Thread-safe through the backend's lock.
    """

    def __init__(self, directory: Path, *, private_key: str = "") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.journal_path = directory / "blocks.jsonl"
        self._lock = threading.RLock()
        # One process owns the chain: two would each replay it and then append diverging blocks.
        self._owner = FileLock(str(directory / "chain.lock"), is_singleton=False)
        try:
            self._owner.acquire(timeout=0)
        except Timeout as e:
            raise AnchorError(
                f"the embedded chain in {directory} is open in another process: run the anchorer "
                "in that process, or use a real node (SUNLIGHT_CHAIN_RPC_URL)"
            ) from e
        try:
            self._open(private_key)
        except BaseException:
            self._owner.release()
            raise

    def _open(self, private_key: str) -> None:
        directory = self.directory
        key = private_key or self._stored_key()
        self.account = Account.from_key(key)
        lines = self._read_journal()
        if lines:
            header, blocks = lines[0], lines[1:]
        else:
            header, blocks = self._new_header(), []
        self._tester_backend = _JournaledBackend(
            genesis_parameters=self._genesis_params(header),
            genesis_state=self._genesis_state(header),
        )
        self.tester = EthereumTester(backend=self._tester_backend, auto_mine_transactions=True)
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        # eth-tester charges calls to the default sender; make it the funded account.
        self.w3.eth.default_account = self.account.address
        self._replay(blocks)
        with self.journal_path.open("a", encoding="utf-8") as f:
            if not lines:
                f.write(json.dumps(header) + "\n")
                f.flush()
                os.fsync(f.fileno())
        self._tester_backend.journal = self.journal_path.open("a", encoding="utf-8")
        funded = {a.lower() for a in header["funded"]}
        if self.account.address.lower() not in funded:
            raise AnchorError(
                f"the embedded chain in {directory} funds {sorted(funded)}, not the "
                f"anchoring key's account {self.account.address}: use the key it was created "
                "with, or a new DATA_DIR"
            )
        self.contract_address = to_checksum_address(keccak(_rlp_create(header["deployer"]))[12:])
        if not blocks:
            deployed = deploy_contract(
                self.w3, self.account, admin=self.account.address, anchorer=self.account.address
            )
            if deployed != self.contract_address:
                raise AnchorError(
                    f"embedded deploy gave {deployed}, expected {self.contract_address}"
                )
        self.backend = EmbeddedBackend(self)

    # --- set-up ---------------------------------------------------------------------------------

    def _stored_key(self) -> str:
        path = self.directory / "anchor_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("0x" + secrets.token_bytes(32).hex() + "\n")
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:  # as for the notary key: a key others can read is not used
            raise AnchorError(
                f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
            )
        return path.read_text().strip()

    def _new_header(self) -> dict[str, Any]:
        return {
            "format": "sunlight-embedded-chain",
            "version": _JOURNAL_VERSION,
            "genesis_timestamp": int(time.time()),
            "funded": [self.account.address],
            "deployer": self.account.address,
        }

    @staticmethod
    def _genesis_params(header: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = get_default_genesis_params(
            {"timestamp": header["genesis_timestamp"]}
        )
        return params

    @staticmethod
    def _genesis_state(header: dict[str, Any]) -> dict[bytes, Any]:
        return {to_canonical_address(a): get_default_account_state() for a in header["funded"]}

    def _read_journal(self) -> list[dict[str, Any]]:
        if not self.journal_path.exists():
            return []
        lines: list[dict[str, Any]] = []
        raw_lines = self.journal_path.read_text(encoding="utf-8").splitlines()
        for i, text in enumerate(raw_lines):
            try:
                lines.append(json.loads(text))
            except ValueError as e:
                if (
                    i == len(raw_lines) - 1
                ):  # a block cut short by a crash: it was never acknowledged
                    self._truncate_to(lines)
                    break
                raise AnchorError(f"{self.journal_path} line {i + 1} is corrupt") from e
        if lines and lines[0].get("format") != "sunlight-embedded-chain":
            raise AnchorError(f"{self.journal_path} is not an embedded chain journal")
        return lines

    def _truncate_to(self, lines: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines)
        self.journal_path.write_text(text, encoding="utf-8")

    def _replay(self, blocks: list[dict[str, Any]]) -> None:
        b = self._tester_backend
        for block in blocks:
            b.replay_timestamp = int(block["ts"])
            for raw in block["txs"]:
                b.send_raw_transaction(bytes.fromhex(raw[2:]))
            mined = b.mine_blocks(1)[0]
            if (
                "0x" + mined.hex() != block["hash"]
                or b.chain.get_canonical_head().block_number != block["n"]
            ):
                raise AnchorError(
                    f"replaying {self.journal_path}: block {block['n']} came out as "
                    f"0x{mined.hex()}, the journal says {block['hash']}; the journal or the "
                    "eth-tester/py-evm version changed"
                )
        b.replay_timestamp = None

    # --- operation ------------------------------------------------------------------------------

    def mine_empty_block(self) -> None:
        with self._lock:
            self.tester.mine_blocks(1)

    def close(self) -> None:
        journal = self._tester_backend.journal
        if journal is not None:
            journal.close()
            self._tester_backend.journal = None
        if self._owner.is_locked:
            self._owner.release()


class EmbeddedBackend(Web3Chain):
    """The embedded chain's :class:`~anchors.chain.Web3Chain`, which also answers read-only
    JSON-RPC (a :class:`~anchors.base.JsonRpcServer`): no node serves this chain."""

    def __init__(self, chain: EmbeddedChain) -> None:
        super().__init__(
            chain.w3,
            chain.contract_address,
            account=chain.account,
            description="the embedded chain",
            idle_miner=chain.mine_empty_block,
            on_close=chain.close,
        )
        self._request: Callable[[str, Any], Any] | None = None

    def rpc(self, method: str, params: list[Any]) -> dict[str, Any]:
        """The answer a node gives to the read ``method`` (one of
        :data:`~anchors.base.RPC_READ_METHODS`): ``{"result": ...}`` or, for a reverted call, bad
        input or another method, ``{"error": {"code", "message"}}``; in the node's encoding."""
        if method not in RPC_READ_METHODS:
            return {"error": {"code": -32601, "message": f"{method} is not served"}}
        if method == "eth_call" and params and isinstance(params[0], dict):
            # eth-tester insists on a sender even for calls; any account reads the same state.
            params = [{"from": self.w3.eth.default_account, **params[0]}, *params[1:]]
        with self._lock:
            try:
                answer = self._provider_request()(method, params)
            except Exception as e:  # eth-tester raises its own types for reverts and bad input
                # What a node answers: a JSON-RPC error object (code 3 for a reverted call).
                reverted = type(e).__name__ == "TransactionFailed"
                answer = {"error": {"code": 3 if reverted else -32602, "message": str(e)[:500]}}
        encoded: dict[str, Any] = _rpc_encoded(answer)
        return encoded

    def _provider_request(self) -> Callable[[str, Any], Any]:
        """The eth-tester provider's request function behind its own formatting middleware, which
        maps JSON-RPC's camelCase and hex quantities to eth-tester's arguments and its results
        back (without it ``eth_getLogs`` fails and receipts come back in eth-tester's
        snake_case)."""
        if self._request is None:
            provider: Any = self.w3.provider
            self._request = combine_middleware(
                getattr(provider, "_middleware", ()),
                w3=self.w3,
                provider_request_fn=provider.make_request,
            )
        return self._request


def _rpc_encoded(value: Any, key: str = "") -> Any:
    """web3's Python values in the encoding a node answers with: numbers as ``0x`` quantities,
    bytes as ``0x`` data (the 2048-bit ``logsBloom``, which web3 turns into an int, too)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return "0x" + value.to_bytes(256, "big").hex() if key == "logsBloom" else hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {k: _rpc_encoded(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rpc_encoded(v, key) for v in value]
    return str(value)


def _rlp_create(deployer: str) -> bytes:
    """RLP([deployer, 0]): the input of the CREATE address of the deployer's first transaction."""
    addr = to_canonical_address(deployer)
    return bytes([0xC0 + 1 + len(addr) + 1, 0x80 + len(addr)]) + addr + b"\x80"
