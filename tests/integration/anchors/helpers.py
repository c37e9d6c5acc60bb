"""Building a notary, records and an anchorer on a test chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anchors.anchorer import Anchorer
from anchors.base import AnchorBackend
from api.service.notary import Notary
from api.settings import Settings


def make_notary(data_dir: Path, **settings: Any) -> Notary:
    return Notary.open(Settings(data_dir=data_dir, **settings))


def add_records(notary: Notary, count: int, prefix: str = "r", batch: int = 1000) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, batch):
        drafts = [
            {"submitter": prefix, "kind": "document", "data": {"i": i}}
            for i in range(start, min(count, start + batch))
        ]
        ids += [a.record_id for a in notary.submit_many(drafts)]
    return ids


def make_anchorer(notary: Notary, backend: AnchorBackend, **kwargs: Any) -> Anchorer:
    kwargs.setdefault("confirm_timeout_s", 30.0)
    kwargs.setdefault("poll_interval_s", 0.05)
    return Anchorer(notary.log, backend, notary.key, notary.settings, **kwargs)
