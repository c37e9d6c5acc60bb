"""Project proofs: the heads statement published with each anchor, and the proof document of a
project (``sunlight-project-proof/1``, :mod:`notary.completeness`).

The anchorer asks :func:`heads_manifest` for the ``manifestCid`` of each checkpoint it anchors:
the heads statement of that tree size is built, signed by the log key and stored *before* the
``anchor()`` transaction is signed, so the chain commits to a statement the server can serve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from api.service.notary import Notary
from api.storage.anchors import AnchorStore
from api.storage.entries import StoredEntry
from api.storage.heads import HeadsStore
from api.storage.log import LogStore
from notary import merkle
from notary.chainview import Anchor
from notary.completeness import PROJECT_PROOF_FORMAT, ProjectProof, ProjectRecord
from notary.errors import LogError
from notary.headsmap import HeadsMap, SignedHeads
from notary.multiproof import multi_inclusion_proof_from
from notary.signing import Checkpoint

__all__ = ["build_project_proof", "heads_manifest", "latest_project_proof", "publish_heads"]

#: Subtree hashes asked of the database at once.
_NODES_PER_QUERY = 5000


def publish_heads(notary: Notary, store: HeadsStore, checkpoint: Checkpoint) -> SignedHeads:
    """The heads statement of ``checkpoint``'s tree size, signed and stored (the stored one when
    there is one already)."""
    stored = store.get(checkpoint.tree_size)
    if stored is not None:
        return stored
    heads = HeadsMap(store.heads_at(checkpoint.tree_size))
    statement = heads.statement(
        log_id=checkpoint.log_id,
        tree_size=checkpoint.tree_size,
        root_hash=bytes.fromhex(checkpoint.root_hash),
    )
    return store.save(SignedHeads.sign(statement, notary.key))


def heads_manifest(notary: Notary, store: HeadsStore) -> Callable[[Checkpoint], str]:
    """The anchorer's ``manifest_cid`` hook: publish the checkpoint's heads statement, return its
    CID."""
    return lambda checkpoint: publish_heads(notary, store, checkpoint).statement.cid()


class _Batched:
    """The log as a :class:`~notary.merkle.NodeSource` that asks for at most
    :data:`_NODES_PER_QUERY` hashes per query (the proofs of a large project need many)."""

    def __init__(self, log: LogStore) -> None:
        self._log = log
        self.size = log.size

    def get_nodes(self, ids: Sequence[merkle.NodeId]) -> list[bytes]:
        return [
            h
            for start in range(0, len(ids), _NODES_PER_QUERY)
            for h in self._log.get_nodes(ids[start : start + _NODES_PER_QUERY])
        ]


def build_project_proof(
    log: LogStore,
    store: HeadsStore,
    project: str,
    *,
    checkpoint: Checkpoint,
    heads: SignedHeads,
    anchor: Anchor | None,
    visible: Callable[[StoredEntry], bool],
) -> ProjectProof:
    """The proof of ``project`` as of ``checkpoint``, whose heads statement is ``heads``. A record
    ``visible`` refuses is given by its leaf hash alone, the others by their entry's text."""
    size = checkpoint.tree_size
    heads_map = HeadsMap(store.heads_at(size))
    if heads_map.root.hex() != heads.statement.heads_root:
        raise LogError(
            f"the heads statement stored for tree size {size} is not the log's: run `sunlight audit`"
        )
    entries = store.project_entries(project, size)
    indices = [e.index for e in entries]
    records = [
        ProjectRecord(leaf_index=e.index, entry=e.entry.decode())
        if visible(e)
        else ProjectRecord(leaf_index=e.index, leaf_hash=e.leaf_hash.hex())
        for e in entries
    ]
    proof = multi_inclusion_proof_from(_Batched(log), indices, size) if indices else []
    return ProjectProof(
        format=PROJECT_PROOF_FORMAT,
        project=project,
        checkpoint=checkpoint,
        heads=heads,
        map_proof=heads_map.proof(project),
        records=tuple(records),
        inclusion_proof=tuple(p.hex() for p in proof),
        anchor=anchor,
    )


def latest_project_proof(
    notary: Notary,
    anchors: AnchorStore,
    project: str,
    *,
    visible: Callable[[StoredEntry], bool],
) -> ProjectProof | None:
    """The proof of ``project`` as of the latest confirmed anchor; None until an anchor with a
    heads statement is confirmed."""
    row = anchors.latest_confirmed()
    store = HeadsStore(notary.log.engine)
    heads = store.get(row.tree_size) if row is not None else None
    if row is None or heads is None:
        return None
    return build_project_proof(
        notary.log,
        store,
        project,
        checkpoint=notary.log.checkpoint(row.tree_size),
        heads=heads,
        anchor=row.bundle_anchor(),
        visible=visible,
    )
