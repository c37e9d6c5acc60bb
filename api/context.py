"""What every request handler shares: :class:`AppContext` (the notary, the stores, the chain and
the anchorer of one app), built by :func:`api.app.create_app` and read by the routes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from anchors.anchorer import Anchorer
from anchors.base import AnchorBackend
from api.http import Metrics, RateLimiter
from api.service.anchoring import make_anchorer, open_backend
from api.service.committer import Committer
from api.service.forecasts import Forecasts
from api.service.notary import Notary
from api.service.oversight import Oversight
from api.settings import Settings
from api.storage.anchors import AnchorStore
from api.storage.idempotency import IdempotencyStore
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from api.storage.uploads import UploadStore
from notary.blobs import BlobStore
from notary.chainview import AnchorTx
from notary.errors import NotaryError
from notary.trust import TrustedChain, TrustRoot


class CachedRoots:
    """``rootAt`` of a chain, each anchored root kept for ``ttl_s`` seconds.

    A root, once anchored, never changes on chain, so re-reading it on every verification only
    costs time (an ``eth_call`` is milliseconds). Sizes never anchored are not cached.
    ``clock``: seconds on a monotonic clock (a test advances a fake one instead of sleeping).
    """

    def __init__(
        self,
        backend: AnchorBackend,
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.chain_id = backend.chain_id
        self.contract_address = backend.contract_address
        self._ttl = ttl_s
        self._clock = clock
        self._roots: dict[int, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def root_at(self, tree_size: int) -> bytes | None:
        now = self._clock()
        with self._lock:
            hit = self._roots.get(tree_size)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        root = self.backend.root_at(tree_size)
        if root is not None:
            with self._lock:
                if len(self._roots) > 100_000:
                    self._roots.clear()
                self._roots[tree_size] = (now, root)
        return root

    # Transactions and blocks are read fresh: confirmations grow and a reorganisation moves them.
    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        return self.backend.anchor_tx(tx_hash)

    def anchored_manifest(self, tx_hash: str, tree_size: int) -> str | None:
        return self.backend.anchored_manifest(tx_hash, tree_size)

    def latest_checkpoint(self) -> tuple[int, bytes | None]:
        return self.backend.latest_checkpoint()

    def block_hash(self, number: int) -> str | None:
        return self.backend.block_hash(number)

    def block_number(self) -> int:
        return self.backend.block_number()


@dataclass
class AppContext:
    settings: Settings
    notary: Notary
    parties: PartyStore
    blobs: BlobStore
    anchors: AnchorStore
    metrics: Metrics
    auth_limiter: RateLimiter
    committer: Committer
    projects: ProjectStore
    idempotency: IdempotencyStore
    uploads: UploadStore
    backend: AnchorBackend | None = None
    roots: CachedRoots | None = None
    anchorer: Anchorer | None = None
    anchor_lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    overseer: Oversight | None = None
    forecaster: Forecasts | None = None

    def oversight(self) -> Oversight:
        """The oversight snapshots and alerts of this log, made on first use."""
        with self.anchor_lock:
            if self.overseer is None:
                self.overseer = Oversight.open(self.notary, self.settings)
            return self.overseer

    def forecasts(self) -> Forecasts:
        """The forecasts of this log's running projects, made on first use."""
        oversight = self.oversight()
        with self.anchor_lock:
            if self.forecaster is None:
                self.forecaster = Forecasts(self.notary, oversight)
            return self.forecaster

    def chain(self) -> AnchorBackend:
        """The chain backend, opened on first use (web3 and the embedded chain are not cheap)."""
        with self.anchor_lock:
            if self.backend is None:
                self.backend = open_backend(self.settings)
            return self.backend

    def chain_roots(self) -> CachedRoots:
        """The chain for verifiers, with anchored roots cached (see ``chain_cache_s``)."""
        backend = self.chain()
        with self.anchor_lock:
            if self.roots is None or self.roots.backend is not backend:
                self.roots = CachedRoots(backend, ttl_s=self.settings.chain_cache_s)
            return self.roots

    def trust(self) -> tuple[TrustRoot, CachedRoots | None]:
        """What this server judges bundles against: its own log key, and its configured chain
        with read access to it (the key alone while the chain cannot be opened)."""
        key = self.notary.key.public_key
        try:
            roots = self.chain_roots()
            chain_id = roots.chain_id
        except NotaryError:
            return TrustRoot.pin(key, name="this log"), None
        trusted = TrustedChain(
            chain_id=chain_id,
            contract=roots.contract_address,
            confirmations=max(1, self.settings.anchor_confirmations),
        )
        return TrustRoot.pin(key, chain=trusted, name="this log"), roots

    def get_anchorer(self) -> Anchorer:
        backend = self.chain()
        with self.anchor_lock:
            if self.anchorer is None:
                self.anchorer = make_anchorer(self.notary, backend, store=self.anchors)
            return self.anchorer
