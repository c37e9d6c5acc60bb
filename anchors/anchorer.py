"""The anchorer: publishes signed checkpoints and anchors them on chain, exactly once each.

It depends only on the protocols of :mod:`anchors.ports` (the log, the checkpoint publisher, the
ledger of anchor transactions, the leader lock) and on an :class:`~anchors.base.AnchorBackend`;
the service wires the concrete ones (``api.service.anchoring``).

A round (:meth:`Anchorer.run_once`):

1. Take the leader lock (one anchorer per database); give up quietly if another process has it.
2. Settle every ``pending`` anchor row: confirmed once ``confirmations`` deep on the canonical
   chain; ``failed`` when mined but reverted (the decoded reason is kept); when neither mined nor
   known to the node (dropped, reorged out, or never sent before a crash) the chain is read
   first — if ``rootAt``/``latestCheckpoint`` show the size is anchored already it is
   ``superseded``, else the *same* signed transaction (same nonce) is broadcast again. A checkpoint
   is therefore never anchored twice, and no new anchor is sent while one is unsettled.
3. When records are waiting — ``max_batch`` of them, or any once ``interval_s`` has passed since
   the last anchor (see :class:`AnchorConfig`) — check that the chain's latest checkpoint is a
   prefix of our log, publish a signed checkpoint of the whole log, sign ``anchor()`` with the
   consistency proof from the chain's latest size, persist the signed transaction, send it and
   wait (up to ``confirm_timeout_s``) for its confirmations.

:meth:`run_forever` repeats rounds until stopped; when the node is unreachable it backs off
exponentially (ingestion is not affected) and, once the node is back, one anchor covers everything
appended meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anchors.base import AnchorBackend, TransactionRejectedError
from anchors.ports import AnchorLedger, AnchorRow, CheckpointPublisher, LeaderLock, LogSource
from notary.errors import AnchorError, ChainUnavailableError, ContractRevertError, NotaryError
from notary.signing import Checkpoint

__all__ = ["AnchorConfig", "AnchorResult", "Anchorer"]

log = logging.getLogger("sunlight.anchorer")


@dataclass(frozen=True, slots=True)
class AnchorConfig:
    """When and how firmly to anchor (the service reads these from ``SUNLIGHT_ANCHOR_*``).

    - ``interval_s``: anchor whatever is waiting once this long has passed since the last anchor;
    - ``max_batch``: ... or at once when this many records are waiting;
    - ``confirmations``: blocks deep (counting its own) before an anchor is ``confirmed``; at
      least 1;
    - ``confirm_timeout_s``, ``poll_interval_s``: how long a round waits for the confirmations of
      the anchor it sent, and how often it looks (the next rounds settle it otherwise).
    """

    interval_s: float = 30.0
    max_batch: int = 1000
    confirmations: int = 1
    confirm_timeout_s: float = 60.0
    poll_interval_s: float = 0.2


@dataclass(frozen=True, slots=True)
class AnchorResult:
    """What a round anchored: an anchor transaction and where it stands (``confirmed`` or still
    ``pending``), with the checkpoint it anchors when this round signed it."""

    tree_size: int
    root_hash: bytes
    status: str
    tx_hash: str
    block_number: int | None
    block_hash: str | None
    chain_id: int
    contract: str
    checkpoint: Checkpoint | None = None

    @classmethod
    def of(cls, row: AnchorRow, checkpoint: Checkpoint | None = None) -> AnchorResult:
        return cls(
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            status=row.status,
            tx_hash=row.tx_hash,
            block_number=row.block_number,
            block_hash=row.block_hash,
            chain_id=row.chain_id,
            contract=row.contract,
            checkpoint=checkpoint,
        )

    def as_json(self) -> dict[str, Any]:
        """The anchor as JSON values (hashes as hex), without the checkpoint."""
        return {
            "status": self.status,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "chain_id": self.chain_id,
            "contract": self.contract,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "block_hash": self.block_hash,
        }


class Anchorer:
    """Anchors the checkpoints of ``log`` through ``backend``; see the module docstring.

    ``checkpoints`` signs and stores each checkpoint, ``store`` keeps the signed transactions,
    ``lock`` makes this the one anchorer of the log. ``clock`` gives the timestamps stored with
    the transactions; ``monotonic`` and ``sleep`` time the rounds (tests may pass their own).
    """

    def __init__(
        self,
        *,
        log: LogSource,
        checkpoints: CheckpointPublisher,
        backend: AnchorBackend,
        store: AnchorLedger,
        lock: LeaderLock,
        config: AnchorConfig,
        clock: Callable[[], str],
        manifest_cid: Callable[[Checkpoint], str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.log = log
        self.checkpoints = checkpoints
        self.backend = backend
        self.store = store
        self.lock = lock
        self.config = config
        self._manifest_cid = manifest_cid
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._confirmations = max(1, config.confirmations)
        # Anchor at once on start when records are waiting.
        self._last_anchor = monotonic() - config.interval_s
        # One round at a time in this process: the leader lock is per process, and the API's
        # POST /v1/anchor runs rounds beside the background loop on the same anchorer; two rounds
        # at once would both sign an anchor for the same chain state, and one would revert.
        self._round = threading.Lock()

    # --- one round ------------------------------------------------------------------------------

    def run_once(self, *, force: bool = False) -> AnchorResult | None:
        """One round; the newest anchor confirmed or sent in it, or None.

        ``force`` anchors whatever is waiting now, regardless of the interval and batch size.
        Raises :class:`ChainUnavailableError` when the node cannot be reached, and
        :class:`ContractRevertError` when the contract would refuse the checkpoint.
        """
        with self._round:
            return self._run_once(force=force)

    def _run_once(self, *, force: bool) -> AnchorResult | None:
        if not self.lock.acquire():
            log.debug("another anchorer holds the lock")
            return None
        result = self._settle_pending()
        if self.store.pending():
            return result
        chain_size, chain_root = self.backend.latest_checkpoint()
        log_size, _ = self.log.state()
        waiting = log_size - chain_size
        if waiting <= 0:
            return result
        due = self._monotonic() - self._last_anchor >= self.config.interval_s
        if not (force or due or waiting >= self.config.max_batch):
            return result
        return self._anchor_new(chain_size, chain_root)

    def _anchor_new(self, chain_size: int, chain_root: bytes | None) -> AnchorResult | None:
        log_size, _ = self.log.state()
        if chain_size > log_size:
            raise AnchorError(
                f"the contract {self.backend.contract_address} has anchored {chain_size} "
                f"entries but this log has only {log_size}: it belongs to another log; "
                "check SUNLIGHT_CONTRACT_ADDRESS"
            )
        if chain_size and self.log.root(chain_size) != chain_root:
            raise AnchorError(
                f"the root anchored on chain for size {chain_size} is not this log's root at that "
                "size: the log was rewritten or the contract belongs to another log; "
                "run `sunlight audit`"
            )
        checkpoint = self.checkpoints.publish_checkpoint()
        if checkpoint.tree_size <= chain_size:
            return None
        root = bytes.fromhex(checkpoint.root_hash)
        proof = self.log.consistency_proof(chain_size, checkpoint.tree_size) if chain_size else []
        manifest = self._manifest_cid(checkpoint) if self._manifest_cid else ""
        signed = self.backend.sign_anchor(checkpoint.tree_size, root, proof, manifest)
        row = self.store.record_signed(
            tree_size=checkpoint.tree_size,
            root_hash=root,
            from_size=chain_size,
            chain_id=self.backend.chain_id,
            contract=self.backend.contract_address,
            tx_hash=signed.tx_hash,
            nonce=signed.nonce,
            raw_tx=signed.raw,
            created_at=self._clock(),
        )
        self._last_anchor = self._monotonic()
        log.info("anchoring tree size %d in %s (nonce %d)", row.tree_size, row.tx_hash, row.nonce)
        try:
            self.backend.send_raw(signed.raw)
        except TransactionRejectedError as e:
            self.store.mark(row.id, "failed", str(e))
            self.backend.resync_nonce()
            raise
        return self._await(row, checkpoint)

    def _await(self, row: AnchorRow, checkpoint: Checkpoint | None) -> AnchorResult:
        deadline = self._monotonic() + self.config.confirm_timeout_s
        while True:
            status = self._settle(row)
            if status != "pending" or self._monotonic() >= deadline:
                break
            self.backend.poll()
            self._sleep(self.config.poll_interval_s)
        return AnchorResult.of(self._reload(row), checkpoint)

    def _reload(self, row: AnchorRow) -> AnchorRow:
        again = self.store.get(row.id)
        if again is None:
            raise AnchorError(f"anchor row {row.id} vanished")
        return again

    # --- settling pending anchors ---------------------------------------------------------------

    def _settle_pending(self) -> AnchorResult | None:
        newest: AnchorRow | None = None
        for row in self.store.pending():
            if self._settle(row) == "confirmed":
                newest = self._reload(row)
        return AnchorResult.of(newest) if newest else None

    def _settle(self, row: AnchorRow) -> str:
        """Move ``row`` on as far as the chain allows; return its status."""
        backend, store = self.backend, self.store
        receipt = backend.receipt(row.tx_hash)
        if receipt is None:
            if row.block_number is not None:
                log.warning("anchor %s left the chain (reorg); it will be mined again", row.tx_hash)
                store.note_block(row.id, block_number=None, block_hash=None)
            if backend.is_pending(row.tx_hash):
                return "pending"
            receipt = backend.receipt(row.tx_hash)  # it may have been mined between the reads
        if receipt is None:
            return self._rebroadcast(row)
        if receipt.status != 1:
            reason = backend.revert_reason(row.tx_hash)
            log.error("anchor %s reverted: %s", row.tx_hash, reason)
            store.mark(row.id, "failed", reason)
            return "failed"
        depth = backend.confirmations(receipt)
        store.note_block(row.id, block_number=receipt.block_number, block_hash=receipt.block_hash)
        if depth >= self._confirmations:
            store.mark_confirmed(
                row.id,
                block_number=receipt.block_number,
                block_hash=receipt.block_hash,
                at=self._clock(),
            )
            log.info(
                "anchor of tree size %d confirmed in block %d", row.tree_size, receipt.block_number
            )
            return "confirmed"
        return "pending"

    def _rebroadcast(self, row: AnchorRow) -> str:
        """``row``'s transaction is neither mined nor known to the node: dropped, reorged out, or
        never sent. Unless the chain already holds that size, send the same signed bytes again."""
        backend, store = self.backend, self.store
        on_chain = backend.root_at(row.tree_size)
        if on_chain == row.root_hash:
            found = backend.find_anchor(row.tree_size)
            if found is not None and found.tx_hash == row.tx_hash:
                return "pending"  # ours after all, mined meanwhile: the next look confirms it
            by = found.tx_hash if found else "another transaction"
            store.mark(row.id, "superseded", f"tree size {row.tree_size} was anchored by {by}")
            return "superseded"
        latest, _ = backend.latest_checkpoint()
        if latest >= row.tree_size:
            store.mark(row.id, "superseded", f"the chain already anchors size {latest}")
            return "superseded"
        try:
            backend.send_raw(row.raw_tx)
        except TransactionRejectedError as e:
            store.mark(row.id, "failed", f"could not be sent again: {e}")
            backend.resync_nonce()
            return "failed"
        log.warning("anchor %s was not on chain nor known to the node: sent again", row.tx_hash)
        return "pending"

    # --- the loop -------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, *, max_backoff_s: float = 60.0) -> None:
        """Run rounds until ``stop`` is set; back off while the node is unreachable."""
        backoff = 0.0
        tick = min(1.0, self.config.interval_s)
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                    backoff = 0.0
                except ChainUnavailableError as e:
                    backoff = min(max_backoff_s, backoff * 2 if backoff else 1.0)
                    log.warning("%s; retrying in %.0f s", e, backoff)
                except ContractRevertError as e:
                    backoff = max_backoff_s
                    log.error("the contract refused the checkpoint: %s", e)
                except NotaryError as e:
                    backoff = min(max_backoff_s, backoff * 2 if backoff else 1.0)
                    log.error("anchoring failed: %s", e.diagnostics())
                except Exception:  # a bug (the stores raise NotaryError): never end the loop
                    backoff = min(max_backoff_s, backoff * 2 if backoff else 1.0)
                    log.exception("anchoring round failed; retrying in %.0f s", backoff)
                stop.wait(backoff or tick)
        finally:
            self.lock.release()

    def close(self) -> None:
        self.lock.release()
