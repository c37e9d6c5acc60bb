"""Building a notary, records and an anchorer on a test chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anchors.anchorer import Anchorer
from anchors.base import AnchorBackend
from api.service.anchoring import anchor_config
from api.service.anchoring import make_anchorer as wire_anchorer
from api.service.notary import Notary
from api.settings import Settings
from notary.records import Record


def make_notary(data_dir: Path, **settings: Any) -> Notary:
    return Notary.open(Settings(data_dir=data_dir, **settings))


def add_records(notary: Notary, count: int, prefix: str = "r", batch: int = 1000) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, batch):
        now = notary.clock()
        records = [
            Record(submitter=prefix, kind="document", data={"i": i}, received_at=now)
            for i in range(start, min(count, start + batch))
        ]
        ids += [a.record_id for a in notary.submit(records)]
    return ids


def make_anchorer(notary: Notary, backend: AnchorBackend, **config: Any) -> Anchorer:
    """The service's anchorer, waiting up to 30 s for confirmations and polling every 50 ms;
    ``config`` overrides fields of its :class:`~anchors.anchorer.AnchorConfig`."""
    config.setdefault("confirm_timeout_s", 30.0)
    config.setdefault("poll_interval_s", 0.05)
    return wire_anchorer(notary, backend, config=anchor_config(notary.settings, **config))
