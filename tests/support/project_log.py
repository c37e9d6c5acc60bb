"""A real log (SQLite) with project records, project proofs made by the service's own code, and
what a forger who runs the server can make of them."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.service.notary import Notary
from api.service.project_proof import build_project_proof, publish_heads
from api.settings import Settings
from api.storage.entries import StoredEntry
from api.storage.heads import HeadsStore
from api.storage.log import LogStore
from notary.chainview import Anchor
from notary.headsmap import HeadsMap
from notary.multiproof import multi_inclusion_proof_from
from notary.records import Record, canonical_json

#: A key the forger holds.
FORGER = Ed25519PrivateKey.from_private_bytes(b"\x66" * 32)


def open_notary(data_dir: Path, **settings: Any) -> Notary:
    return Notary.open(Settings(data_dir=data_dir, **settings))


def add_records(
    notary: Notary, project: str | None, count: int, *, private: Sequence[int] = ()
) -> list[int]:
    """Append ``count`` records of ``project`` in one batch (those numbered in ``private`` are
    private); their leaf indices."""
    now = notary.clock()
    records = [
        Record(
            project=project,
            kind="progress_report",
            data={"n": n, "note": "北涵洞 culvert"},
            submitter="township",
            received_at=now,
            **({"public": False} if n in private else {}),
        )
        for n in range(count)
    ]
    return [a.entry.index for a in notary.submit(records)]


def proof_of(
    notary: Notary,
    project: str,
    *,
    anchor: Anchor | None = None,
    visible: Callable[[StoredEntry], bool] = lambda _: True,
) -> dict[str, Any]:
    """The proof of ``project`` as of a checkpoint of the whole log, published now."""
    checkpoint = notary.publish_checkpoint()
    store = HeadsStore(notary.log.engine)
    heads = publish_heads(notary, store, checkpoint)
    proof = build_project_proof(
        notary.log,
        store,
        project,
        checkpoint=checkpoint,
        heads=heads,
        anchor=anchor,
        visible=visible,
    )
    return proof.to_json()


def reproved(log: LogStore, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a true inclusion proof for the leaves it now lists: the server holds the whole
    tree, so a forger who controls it can prove any set of real leaves."""
    indices = [r["leaf_index"] for r in doc["records"]]
    size = doc["checkpoint"]["tree_size"]
    proof = multi_inclusion_proof_from(log, indices, size) if indices else []
    return {**doc, "inclusion_proof": [h.hex() for h in proof]}


def forged_heads(
    doc: dict[str, Any], heads: dict[str, tuple[int, bytes, int]], project: str
) -> dict[str, Any]:
    """``doc`` with a heads statement of the map ``heads`` signed by :data:`FORGER`, and the map
    proof of ``project`` in it."""
    forged_map = HeadsMap(heads)
    statement = forged_map.statement(
        log_id=doc["checkpoint"]["log_id"],
        tree_size=doc["checkpoint"]["tree_size"],
        root_hash=bytes.fromhex(doc["checkpoint"]["root_hash"]),
    )
    signature = FORGER.sign(canonical_json(statement.model_dump()))
    forged = copy.deepcopy(doc)
    forged["heads"] = {
        "statement": statement.model_dump(),
        "signature": base64.b64encode(signature).decode(),
    }
    forged["map_proof"] = forged_map.proof(project).model_dump(mode="json", exclude_none=True)
    return forged
