"""The anchorer wired to the service: the chain the settings name, the ``anchors`` table, the
leader lock on the database, and the notary as the log source and the checkpoint signer.

:mod:`anchors` knows nothing of the settings or the database; this is where they meet it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import anchors
from anchors.anchorer import AnchorConfig, Anchorer
from anchors.base import AnchorBackend
from api.service.notary import Notary
from api.service.project_proof import heads_manifest
from api.settings import Settings
from api.storage.anchors import AnchorStore
from api.storage.heads import HeadsStore
from api.storage.lock import AnchorerLock
from notary.errors import AnchorError

__all__ = ["anchor_config", "make_anchorer", "open_backend"]


def open_backend(settings: Settings) -> AnchorBackend:
    """The anchoring backend the settings name: the embedded eth-tester chain in
    ``DATA_DIR/chain`` when ``CHAIN_RPC_URL`` is empty, else the node at that URL, failing over
    to ``CHAIN_FAILOVER_URLS`` in turn."""
    key = settings.anchor_private_key.get_secret_value()
    if settings.chain_rpc_url and not settings.contract_address:
        raise AnchorError(
            "SUNLIGHT_CONTRACT_ADDRESS is empty: deploy EvidenceAnchor with "
            "`sunlight contract deploy` and set it"
        )
    if settings.failover_urls and not settings.chain_rpc_url:
        raise AnchorError(
            "SUNLIGHT_CHAIN_FAILOVER_URLS is set but SUNLIGHT_CHAIN_RPC_URL is empty: name the "
            "notary's own node first"
        )
    if settings.chain_rpc_url and not key:
        raise AnchorError(
            "SUNLIGHT_ANCHOR_PRIVATE_KEY is empty: the anchorer needs a key with ANCHORER_ROLE"
        )
    return anchors.open_backend(
        rpc_url=settings.chain_rpc_url,
        contract=settings.contract_address,
        private_key=key,
        data_dir=settings.data_dir,
        failover_urls=settings.failover_urls,
    )


def anchor_config(settings: Settings, **overrides: Any) -> AnchorConfig:
    """``SUNLIGHT_ANCHOR_INTERVAL_S``, ``_MAX_BATCH`` and ``_CONFIRMATIONS`` as the anchorer's
    configuration; ``overrides`` sets other :class:`AnchorConfig` fields (e.g. ``poll_interval_s``)."""
    config = AnchorConfig(
        interval_s=settings.anchor_interval_s,
        max_batch=settings.anchor_max_batch,
        confirmations=settings.anchor_confirmations,
    )
    return dataclasses.replace(config, **overrides)


def make_anchorer(
    notary: Notary,
    backend: AnchorBackend,
    *,
    store: AnchorStore | None = None,
    config: AnchorConfig | None = None,
) -> Anchorer:
    """The anchorer of ``notary``'s log through ``backend``, configured by its settings unless
    ``config`` is given."""
    engine = notary.log.engine
    return Anchorer(
        log=notary.log,
        checkpoints=notary,
        backend=backend,
        store=store or AnchorStore(engine),
        lock=AnchorerLock(engine, notary.settings.data_dir),
        config=config or anchor_config(notary.settings),
        clock=notary.clock,
        manifest_cid=heads_manifest(notary, HeadsStore(engine)),
    )
