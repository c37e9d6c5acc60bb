"""Heads statements (``sunlight-heads/1``): which record was each project's last, as of a checkpoint.

A project's ``prev`` chain shows that no record was removed, changed or reordered *between* its
first and its last record; it cannot show that records were not withheld *after* the last one
shown. The heads statement closes that end. For a tree size ``N`` it commits to the **heads map**:
one entry per project with records among the log's first ``N`` entries,

    JCS({"project": <code>, "head_index": <leaf index of its last record>,
         "head_hash": <hex leaf hash of that record>, "count": <its number of records>})

sorted by project code (codes are ASCII, compared byte by byte), hashed as an RFC 6962 tree:
``heads_root = MTH(entries)`` with ``leaf = SHA-256(0x00 ‖ entry)``. A project's entry is proved by
its position and audit path; a project with no records is proved absent by the two adjacent
entries (or the one at the map's edge) whose codes bracket it.

The statement, ``JCS({"type": "sunlight-heads/1", "log_id", "tree_size", "root_hash",
"heads_root", "projects"})`` (``projects``: the number of map entries), is signed by the log key
(:func:`notary.signing.verify_statement`), and its CID (``cid_of`` of those bytes, a raw-leaf
CIDv1) is the ``manifestCid`` the anchorer passes to ``anchor()`` for that tree size: the chain
commits to it in the same transaction as to the root. See docs/formats.md, "Project proofs".
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from notary import merkle
from notary.cid import cid_of
from notary.errors import MalformedProofError, VerificationError
from notary.records import ProjectCode, canonical_json
from notary.signing import NotaryKey

__all__ = [
    "HEADS_TYPE",
    "HeadEntry",
    "HeadsMap",
    "HeadsStatement",
    "MapLeaf",
    "MapProof",
    "SignedHeads",
    "verify_map_proof",
]

HEADS_TYPE: Final = "sunlight-heads/1"

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Base64Sig = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{86}==$")]
_FROZEN = ConfigDict(frozen=True, extra="forbid")
_INDEX = Field(ge=0, le=merkle.MAX_TREE_SIZE - 1)


class HeadEntry(BaseModel):
    """One project's entry in the heads map."""

    model_config = _FROZEN

    project: ProjectCode
    head_index: StrictInt = _INDEX
    head_hash: Hex64
    count: StrictInt = Field(ge=1, le=merkle.MAX_TREE_SIZE)

    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(canonical_json(self.model_dump()))


class HeadsStatement(BaseModel):
    """What the log key signs, and the chain commits to by its CID, for one tree size."""

    model_config = _FROZEN

    type: Literal["sunlight-heads/1"] = HEADS_TYPE
    log_id: Hex64
    tree_size: StrictInt = Field(ge=0, le=merkle.MAX_TREE_SIZE)
    root_hash: Hex64
    heads_root: Hex64
    projects: StrictInt = Field(ge=0, le=merkle.MAX_TREE_SIZE)

    def payload(self) -> bytes:
        """The statement's bytes: what is signed, and what its CID addresses."""
        return canonical_json(self.model_dump())

    def cid(self) -> str:
        return cid_of(self.payload())


class SignedHeads(BaseModel):
    """A heads statement with the log key's signature over :meth:`HeadsStatement.payload`."""

    model_config = _FROZEN

    statement: HeadsStatement
    signature: Base64Sig

    @classmethod
    def sign(cls, statement: HeadsStatement, key: NotaryKey) -> SignedHeads:
        return cls(statement=statement, signature=key.sign_statement(statement.model_dump()))


class MapLeaf(BaseModel):
    """An entry of the heads map, its position and its audit path to ``heads_root``."""

    model_config = _FROZEN

    position: StrictInt = _INDEX
    entry: HeadEntry
    path: list[Hex64] = Field(max_length=merkle.MAX_PROOF_LENGTH)


class MapProof(BaseModel):
    """``entry``: the project's own entry; or, when it has no records, ``left`` and ``right``: the
    adjacent entries around where it would sit (``left`` absent at the start of the map,
    ``right`` absent at its end, both absent in an empty map)."""

    model_config = _FROZEN

    entry: MapLeaf | None = None
    left: MapLeaf | None = None
    right: MapLeaf | None = None


def _check_leaf(leaf: MapLeaf, statement: HeadsStatement) -> None:
    merkle.verify_inclusion(
        leaf.entry.leaf_hash(),
        leaf.position,
        statement.projects,
        [bytes.fromhex(p) for p in leaf.path],
        bytes.fromhex(statement.heads_root),
    )


def verify_map_proof(project: str, proof: MapProof, statement: HeadsStatement) -> HeadEntry | None:
    """The head entry of ``project`` that ``proof`` proves in ``statement``'s map, or None when it
    proves the project absent (no records as of ``statement.tree_size``).

    Raises :class:`VerificationError` when the proof does not hold.
    """
    if proof.entry is not None:
        if proof.left is not None or proof.right is not None:
            raise MalformedProofError("a map proof proves an entry or an absence, not both")
        if proof.entry.entry.project != project:
            raise VerificationError(
                f"the map proof is for project {proof.entry.entry.project}, not {project}"
            )
        _check_leaf(proof.entry, statement)
        return proof.entry.entry
    key = project.encode()
    left, right = proof.left, proof.right
    if left is not None:
        _check_leaf(left, statement)
        if not left.entry.project.encode() < key:
            raise VerificationError(f"the left neighbour {left.entry.project} is not before it")
    if right is not None:
        _check_leaf(right, statement)
        if not key < right.entry.project.encode():
            raise VerificationError(f"the right neighbour {right.entry.project} is not after it")
    first = right.position if right is not None else statement.projects
    last = left.position if left is not None else -1
    if first != last + 1:
        raise VerificationError("the neighbours in the map proof are not adjacent entries")
    return None


class HeadsMap:
    """The heads map of one tree size, built from ``project → (head index, head leaf hash,
    count)``, with its root and proofs."""

    def __init__(self, heads: Mapping[str, tuple[int, bytes, int]]) -> None:
        self.entries = [
            HeadEntry(project=p, head_index=i, head_hash=h.hex(), count=n)
            for p, (i, h, n) in sorted(heads.items(), key=lambda kv: kv[0].encode())
        ]
        self._keys = [e.project.encode() for e in self.entries]
        self._tree = merkle.MerkleTree()
        for entry in self.entries:
            self._tree.append_leaf_hash(entry.leaf_hash())

    @property
    def root(self) -> bytes:
        return self._tree.root()

    def statement(self, *, log_id: str, tree_size: int, root_hash: bytes) -> HeadsStatement:
        return HeadsStatement(
            log_id=log_id,
            tree_size=tree_size,
            root_hash=root_hash.hex(),
            heads_root=self.root.hex(),
            projects=len(self.entries),
        )

    def _leaf(self, position: int) -> MapLeaf:
        path = self._tree.inclusion_proof(position, len(self.entries))
        return MapLeaf(
            position=position, entry=self.entries[position], path=[p.hex() for p in path]
        )

    def proof(self, project: str) -> MapProof:
        """The proof of ``project``'s entry, or of its absence."""
        key = project.encode()
        at = bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            return MapProof(entry=self._leaf(at))
        return MapProof(
            left=self._leaf(at - 1) if at > 0 else None,
            right=self._leaf(at) if at < len(self._keys) else None,
        )
