"""A notary anchoring on the consortium, configured as scripts/consortium prints it."""

from __future__ import annotations

import time
from pathlib import Path

from anchors.anchorer import Anchorer
from anchors.chain import Web3Chain, connect_rpc
from api.service.anchoring import open_backend
from api.service.notary import Notary
from api.storage.anchors import AnchorStore
from scripts.consortium import governance, network
from tests.integration.anchors.helpers import make_anchorer, make_notary


def notary_on(
    net: network.Consortium, deployment: governance.Deployment, anchor_key: str, data_dir: Path
) -> tuple[Notary, Anchorer]:
    """A notary whose settings are the consortium's (own node first, then the others'), and its
    anchorer, whose rounds wait at most 2 s for confirmations (later rounds settle the rest)."""
    env = net.notary_env(deployment.contract)
    settings = {k.removeprefix("SUNLIGHT_").lower(): v for k, v in env.items()}
    notary = make_notary(
        data_dir, anchor_private_key=anchor_key, anchor_max_batch=10**6, **settings
    )
    anchorer = make_anchorer(notary, open_backend(notary.settings), confirm_timeout_s=2.0)
    return notary, anchorer


def anchored_through(anchorer: Anchorer) -> str:
    """The URL of the node the anchorer's requests go to now."""
    return str(anchorer.backend.w3.provider.current_url)  # type: ignore[attr-defined]


def anchor_until_confirmed(anchorer: Anchorer, notary: Notary, timeout: float = 60) -> int:
    """Run rounds until everything in the log is anchored and confirmed; the anchored size."""
    size = notary.log.size
    store = AnchorStore(notary.log.engine)
    deadline = time.monotonic() + timeout
    while True:
        latest = store.latest_confirmed()
        if latest is not None and latest.tree_size >= size:
            return latest.tree_size
        assert time.monotonic() < deadline, f"size {size} not confirmed: {store.all()}"
        anchorer.run_once(force=True)
        time.sleep(0.2)


def public_reader(net: network.Consortium, deployment: governance.Deployment) -> Web3Chain:
    return connect_rpc(net.public.url, deployment.contract)
