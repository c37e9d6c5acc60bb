"""A :class:`notary.bundle.ChainView` over a recorded chain state, for language-neutral vectors.

The verdict vectors (``tests/vectors/verdicts``) carry what a trusted node said of one
EvidenceAnchor contract on one chain, as JSON::

    {"chain_id": 1337, "contract": "0x…", "head": 14,
     "blocks": {"12": "0x<block hash>"},                 # the canonical chain, by number
     "roots": {"7": "<hex root>"},                        # rootAt(treeSize); absent: never anchored
     "txs": {"0x<tx hash>": {"status": 1, "block_number": 12, "block_hash": "0x…",
                             "anchored": [[7, "<hex root>"]]}}}   # CheckpointAnchored events

This is a real implementation of the protocol over recorded answers (the live-chain adapter is
``anchors.chain.Web3Chain``): a verifier in another language replays the same document through its
own chain interface and must reach the same verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from notary.chainview import AnchorTx

__all__ = ["RecordedChain"]


@dataclass(frozen=True)
class RecordedChain:
    chain_id: int
    contract_address: str
    head: int
    blocks: Mapping[int, str] = field(default_factory=dict)
    roots: Mapping[int, bytes] = field(default_factory=dict)
    txs: Mapping[str, AnchorTx] = field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> RecordedChain:
        txs = {
            h.lower(): AnchorTx(
                tx_hash=h.lower(),
                status=int(t["status"]),
                block_number=int(t["block_number"]),
                block_hash=str(t["block_hash"]).lower(),
                anchored=tuple((int(size), bytes.fromhex(root)) for size, root in t["anchored"]),
            )
            for h, t in doc.get("txs", {}).items()
        }
        return cls(
            chain_id=int(doc["chain_id"]),
            contract_address=str(doc["contract"]),
            head=int(doc["head"]),
            blocks={int(n): str(h).lower() for n, h in doc.get("blocks", {}).items()},
            roots={int(n): bytes.fromhex(r) for n, r in doc.get("roots", {}).items()},
            txs=txs,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "contract": self.contract_address,
            "head": self.head,
            "blocks": {str(n): h for n, h in sorted(self.blocks.items())},
            "roots": {str(n): r.hex() for n, r in sorted(self.roots.items())},
            "txs": {
                h: {
                    "status": t.status,
                    "block_number": t.block_number,
                    "block_hash": t.block_hash,
                    "anchored": [[size, root.hex()] for size, root in t.anchored],
                }
                for h, t in sorted(self.txs.items())
            },
        }

    # --- notary.bundle.ChainView -----------------------------------------------------------------

    def root_at(self, tree_size: int) -> bytes | None:
        root = self.roots.get(tree_size)
        return None if root is None or root == bytes(32) else root

    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        tx = self.txs.get(tx_hash.lower())
        return tx if tx is not None and tx.block_number <= self.head else None

    def block_hash(self, number: int) -> str | None:
        return self.blocks.get(number) if 0 <= number <= self.head else None

    def block_number(self) -> int:
        return self.head
