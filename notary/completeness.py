"""Project proofs (``sunlight-project-proof/1``): every record of a project, complete and in order,
as of an anchored checkpoint — including the end.

A project proof carries the project's records (the exact text of each entry, or for a record the
reader may not see its leaf hash alone) with one multi-leaf inclusion proof of them all in the
checkpoint's tree (:mod:`notary.multiproof`), the signed heads statement of the checkpoint's tree
size (:mod:`notary.headsmap`) with the proof of the project's entry in its map, and where the
checkpoint is anchored. :func:`verify_project_proof` judges it against a
:class:`~notary.trust.TrustRoot` the verifier chose, in the words and levels of
:mod:`notary.verdict`.

What a verified proof shows, and what "as of" means: the project had exactly ``count`` records among
the first ``tree_size`` entries of the log, these ones, in this order, the last being its head then.
Records appended after ``tree_size`` are not covered: a proof is never "current" by itself. With a
chain view the ``current`` check compares ``tree_size`` with the latest size anchored on the
trusted contract and says so; a verifier that needs the latest state asks for it
(``require_current``) or for a minimum size (``min_tree_size``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

from notary import jsonin, merkle
from notary.chainview import Anchor, ChainView, check_anchor
from notary.documents import parse_document
from notary.errors import MalformedProofError, NotaryError, RecordError
from notary.headsmap import HeadEntry, MapProof, SignedHeads, verify_map_proof
from notary.multiproof import verify_multi_inclusion
from notary.records import MAX_ENTRY_BYTES, ProjectCode
from notary.signing import Checkpoint, verify_statement
from notary.trust import TrustedLog, TrustRoot
from notary.verdict import Check, Level, VerificationReport, check_pinned_log, passes

__all__ = [
    "MAX_PROJECT_PROOF_BYTES",
    "MAX_PROJECT_RECORDS",
    "PROJECT_PROOF_FORMAT",
    "ManifestView",
    "ProjectProof",
    "ProjectRecord",
    "ProjectReport",
    "parse_project_proof",
    "verify_project_proof",
]

PROJECT_PROOF_FORMAT = "sunlight-project-proof/1"
#: A project holds tens to thousands of records; this bounds what a verifier must hold in memory.
MAX_PROJECT_RECORDS = 100_000
#: Records are small (metadata; files are blobs): 64 MiB is far above any real project's proof.
MAX_PROJECT_PROOF_BYTES = 64 * 1024 * 1024

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ManifestView(ChainView, Protocol):
    """A :class:`~notary.chainview.ChainView` that also reads what project proofs need: the
    ``manifestCid`` of an anchoring and the latest anchored size."""

    def anchored_manifest(self, tx_hash: str, tree_size: int) -> str | None:
        """The ``manifestCid`` of the ``CheckpointAnchored(tree_size, …)`` event the trusted
        contract emitted in transaction ``tx_hash``; None when it emitted none."""
        ...

    def latest_checkpoint(self) -> tuple[int, bytes | None]:
        """``latestCheckpoint()``: ``(0, None)`` before the first anchor."""
        ...


class ProjectRecord(BaseModel):
    """A record of the project: ``entry``, the log entry's exact text (the UTF-8 of its canonical
    JSON, hashed as it is), or for a record the reader may not see, its ``leaf_hash`` alone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    leaf_index: StrictInt = Field(ge=0, le=merkle.MAX_TREE_SIZE - 1)
    entry: str | None = Field(default=None, max_length=MAX_ENTRY_BYTES)
    leaf_hash: Hex64 | None = None

    @model_validator(mode="after")
    def _entry_or_leaf_hash(self) -> ProjectRecord:
        if (self.entry is None) == (self.leaf_hash is None):
            raise ValueError("give either entry or, for a record withheld, leaf_hash")
        return self


class ProjectProof(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")  # newer optional fields stay readable

    format: Literal["sunlight-project-proof/1"]
    project: ProjectCode
    checkpoint: Checkpoint
    heads: SignedHeads
    map_proof: MapProof
    records: tuple[ProjectRecord, ...] = Field(max_length=MAX_PROJECT_RECORDS)
    #: The multi-leaf inclusion proof of every record's leaf (:mod:`notary.multiproof`).
    inclusion_proof: tuple[Hex64, ...] = Field(
        max_length=MAX_PROJECT_RECORDS * merkle.MAX_PROOF_LENGTH
    )
    anchor: Anchor | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True, slots=True)
class ProjectReport:
    """The verdict on a project proof, and what it establishes: the project's ``count`` records
    and head as of ``tree_size`` (when verified)."""

    project: str
    tree_size: int
    timestamp: str
    count: int
    report: VerificationReport

    @property
    def verified(self) -> bool:
        return self.report.verified

    @property
    def level(self) -> Level:
        return self.report.level

    def to_json(self) -> dict[str, Any]:
        as_of = {"tree_size": self.tree_size, "timestamp": self.timestamp}
        return {
            **self.report.to_json(),
            "project": self.project,
            "count": self.count,
            "as_of": as_of,
        }


def parse_project_proof(value: Mapping[str, Any] | bytes | str) -> ProjectProof:
    """Parse a project proof; raise :class:`MalformedProofError` saying what is wrong."""
    return parse_document(
        value,
        ProjectProof,
        fmt=PROJECT_PROOF_FORMAT,
        max_bytes=MAX_PROJECT_PROOF_BYTES,
        what="project proof",
    )


def verify_project_proof(
    proof: ProjectProof,
    *,
    trust: TrustRoot | None = None,
    chain: ManifestView | None = None,
    require_current: bool = False,
    min_tree_size: int = 0,
) -> ProjectReport:
    """Judge ``proof`` against the verifier's ``trust`` root; never raise for a bad proof.

    Checks, by name: ``records`` (entries of this project, in leaf order, inside the tree),
    ``inclusion`` (every leaf is in the checkpoint's tree), ``prev_chain`` (each record's ``prev``
    is the leaf hash of the one before, the first's null), ``heads_statement`` (the statement is of
    the checkpoint's log, size and root), ``map_proof`` (the project's entry, or its absence, in
    the heads map), ``head`` (the map's count and head are the proof's last record and number of
    records), ``log``, ``checkpoint_signature`` and ``heads_signature`` (both signed by the pinned
    key), ``anchor``, ``anchor_tx`` (as for bundles), ``manifest`` (the anchoring's
    ``manifestCid`` is the statement's CID), ``as_of`` (``min_tree_size``) and ``current``.
    """
    trust = trust or TrustRoot()
    cp = proof.checkpoint
    checks, leaves = _check_records(proof)
    checks.append(
        passes(
            "heads_statement",
            f"the heads statement is of this checkpoint (tree size {cp.tree_size})",
            lambda: _same_tree(proof),
        )
    )
    if len(leaves) == len(proof.records):  # else a record check failed already
        checks.extend(_check_head(proof, leaves))
    pinned = trust.log(cp.log_id)
    checks.extend(_check_log(proof, trust, pinned))
    chains = trust.chains_for(cp.log_id) if pinned is not None or not trust.logs else ()
    checks.extend(_check_chain(proof, check_anchor(cp, proof.anchor, chains, chain), chain))
    checks.extend(_check_freshness(cp.tree_size, chain, require_current, min_tree_size))
    report = VerificationReport.judge(checks, pinned)
    if report.verified:
        as_of = (
            f"project {proof.project}: {len(proof.records)} records, complete and in order as of "
            f"tree size {cp.tree_size} (checkpoint of {cp.timestamp}); "
        )
        report = VerificationReport(
            report.level, as_of + report.reason, report.checks, report.trust
        )
    return ProjectReport(proof.project, cp.tree_size, cp.timestamp, len(proof.records), report)


def _same_tree(proof: ProjectProof) -> None:
    cp, statement = proof.checkpoint, proof.heads.statement
    ours = (cp.log_id, cp.tree_size, cp.root_hash)
    theirs = (statement.log_id, statement.tree_size, statement.root_hash)
    if ours != theirs:
        raise MalformedProofError(
            f"the heads statement is of log {theirs[0]} at tree size {theirs[1]} with root "
            f"{theirs[2]}, the checkpoint of log {ours[0]} at {ours[1]} with root {ours[2]}"
        )


def _check_records(proof: ProjectProof) -> tuple[list[Check], list[bytes]]:
    """The ``records``, ``inclusion`` and ``prev_chain`` checks; the records' leaf hashes."""
    cp = proof.checkpoint
    leaves: list[bytes] = []
    prevs: list[str | bool | None] = []  # each record's prev; False: withheld, not known
    last = -1
    for n, item in enumerate(proof.records):
        where = f"record {n} (leaf {item.leaf_index})"
        if item.leaf_index <= last or item.leaf_index >= cp.tree_size:
            problem = "is not after the one before" if item.leaf_index <= last else "is past it"
            return [Check("records", False, f"{where} {problem} in the tree")], []
        last = item.leaf_index
        if item.entry is None:
            leaves.append(bytes.fromhex(item.leaf_hash or ""))
            prevs.append(False)
            continue
        entry = item.entry.encode()
        leaves.append(merkle.leaf_hash(entry))
        try:
            prevs.append(_prev_in_project(entry, proof.project, where))
        except NotaryError as e:
            return [Check("records", False, str(e))], []
    shown = sum(1 for p in prevs if p is not False)
    detail = f"{shown} records of {proof.project} shown, {len(prevs) - shown} withheld"
    checks = [Check("records", True, detail)]
    if leaves:
        checks.append(
            passes(
                "inclusion",
                f"all {len(leaves)} leaves are in the tree of {cp.tree_size} entries",
                lambda: verify_multi_inclusion(
                    [(r.leaf_index, leaf) for r, leaf in zip(proof.records, leaves, strict=True)],
                    cp.tree_size,
                    [bytes.fromhex(h) for h in proof.inclusion_proof],
                    bytes.fromhex(cp.root_hash),
                ),
            )
        )
    elif proof.inclusion_proof:
        checks.append(Check("inclusion", False, "an inclusion proof without records"))
    else:
        checks.append(Check("inclusion", True, "no records to include"))
    if not checks[-1].passed:
        return checks, []
    checks.append(_check_links(prevs, leaves))
    return checks, leaves


def _prev_in_project(entry: bytes, project: str, where: str) -> str | None:
    """The ``prev`` of ``entry``, which must be a record of ``project``. Only what completeness
    needs is read: the leaf hash commits to the rest, and a bundle of it judges the record."""
    record = jsonin.loads(entry, what=f"the entry of {where}")
    if not isinstance(record, dict) or record.get("project") != project:
        theirs = record.get("project") if isinstance(record, dict) else None
        raise RecordError(f"{where} is not a record of {project} (project {theirs!r})")
    prev = record.get("prev")
    if prev is not None and not isinstance(prev, str):
        raise RecordError(f"{where} has a prev that is not a leaf hash")
    return prev


def _check_links(prevs: Sequence[str | bool | None], leaves: Sequence[bytes]) -> Check:
    unchecked = 0
    for n, prev in enumerate(prevs):
        if prev is False:
            unchecked += 1
            continue
        expected = leaves[n - 1].hex() if n else None
        if prev != expected:
            said = (
                "the first record's prev is not null"
                if n == 0
                else (
                    f"record {n}'s prev is {prev}, not the leaf hash of record {n - 1} ({expected}): "
                    "a record was removed, inserted or moved"
                )
            )
            return Check("prev_chain", False, said)
    if unchecked:
        detail = (
            f"{len(prevs) - unchecked} links hold; {unchecked} lead into records withheld from this "
            "reader (count and head still bind them)"
        )
        return Check("prev_chain", None, detail)
    return Check(
        "prev_chain", True, f"all {len(prevs)} links hold, from a first record (prev null)"
    )


def _check_head(proof: ProjectProof, leaves: Sequence[bytes]) -> list[Check]:
    """The ``map_proof`` check, then (when it passed) the ``head`` check."""
    statement = proof.heads.statement
    try:
        entry = verify_map_proof(proof.project, proof.map_proof, statement)
    except NotaryError as e:
        return [Check("map_proof", False, str(e))]
    found = "its entry" if entry is not None else "its absence"
    mapped = Check("map_proof", True, f"{found} in the heads map of {statement.projects} projects")
    return [mapped, _head_matches(proof, entry, leaves)]


def _head_matches(proof: ProjectProof, entry: HeadEntry | None, leaves: Sequence[bytes]) -> Check:
    n = proof.heads.statement.tree_size
    records = proof.records
    if entry is None:
        if records:
            return Check("head", False, f"the map says {proof.project} had no records as of {n}")
        return Check("head", True, f"{proof.project} had no records as of tree size {n}")
    if len(records) != entry.count:
        detail = (
            f"the map says {entry.count} records as of tree size {n}, the proof has {len(records)}"
        )
        return Check("head", False, detail)
    if not leaves or (records[-1].leaf_index, leaves[-1].hex()) != (
        entry.head_index,
        entry.head_hash,
    ):
        detail = (
            f"the map's head as of tree size {n} is leaf {entry.head_index} ({entry.head_hash}), "
            "not the proof's last record: records were withheld at the end"
        )
        return Check("head", False, detail)
    return Check(
        "head", True, f"{entry.count} records, head leaf {entry.head_index}, as the map says"
    )


def _check_log(proof: ProjectProof, trust: TrustRoot, pinned: TrustedLog | None) -> list[Check]:
    cp, heads = proof.checkpoint, proof.heads
    checks = check_pinned_log(cp, trust, pinned, "proof")
    if pinned is None:
        none = "no pinned key to check it with"
        return [
            *checks,
            Check("checkpoint_signature", None, none),
            Check("heads_signature", None, none),
        ]
    return [
        *checks,
        passes(
            "heads_signature",
            "the heads statement is signed by the pinned key",
            lambda: verify_statement(
                heads.statement.model_dump(), heads.signature, pinned.public_key
            ),
        ),
    ]


def _check_chain(
    proof: ProjectProof, anchor_checks: list[Check], view: ManifestView | None
) -> list[Check]:
    """The anchor checks, then ``manifest`` once the anchoring transaction is established."""
    if not any(c.name == "anchor_tx" and c.passed is not False for c in anchor_checks):
        return anchor_checks
    assert view is not None and proof.anchor is not None  # anchor_tx was read through it
    statement = proof.heads.statement
    want = statement.cid()
    try:
        got = view.anchored_manifest(proof.anchor.tx_hash, statement.tree_size)
    except NotaryError as e:
        # The root is anchored, the heads are not established: no stronger than the log key.
        why = f"not checked: could not read the manifest of the anchoring: {e}"
        return [
            c if c.name != "anchor_tx" else Check("anchor_tx", None, why) for c in anchor_checks
        ]
    if got != want:
        detail = f"the anchoring's manifestCid is {got!r}, not the heads statement's CID {want}"
        return [*anchor_checks, Check("manifest", False, detail)]
    return [*anchor_checks, Check("manifest", True, f"the anchoring's manifestCid is {want}")]


def _check_freshness(
    tree_size: int, view: ManifestView | None, require_current: bool, min_tree_size: int
) -> list[Check]:
    checks = []
    if min_tree_size:
        ok = tree_size >= min_tree_size
        detail = f"as of tree size {tree_size}; at least {min_tree_size} was required"
        checks.append(Check("as_of", ok, detail))
    if view is None:
        checks.append(
            Check("current", False if require_current else None, "no chain to compare with")
        )
        return checks
    try:
        latest, _ = view.latest_checkpoint()
    except NotaryError as e:
        checks.append(Check("current", False if require_current else None, f"could not read: {e}"))
        return checks
    if latest <= tree_size:
        checks.append(Check("current", True, f"tree size {tree_size} is the latest anchored"))
    else:
        detail = (
            f"the chain has anchored tree size {latest} since {tree_size}: records appended after "
            f"{tree_size} are not covered by this proof"
        )
        checks.append(Check("current", False if require_current else None, detail))
    return checks
