"""Tamper detection: recompute every leaf and the whole tree from the stored entries.

Nothing stored is trusted: each entry is re-parsed and re-hashed, indices must run 0..n-1 without a
gap, each project's ``prev`` chain must link, and every stored subtree hash, the log state and every
signed checkpoint must equal what the entries give. Each finding names the row it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from api.log_store import LogStore
from notary import merkle
from notary.errors import NotaryError
from notary.records import canonical_json, parse_record
from notary.signing import verify_checkpoint


@dataclass(frozen=True, slots=True)
class Finding:
    where: str  # e.g. "entry 42", "node (3, 5)", "checkpoint 1000", "log_state"
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass(slots=True)
class AuditReport:
    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def audit_log(
    log: LogStore,
    *,
    public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> AuditReport:
    report = AuditReport()
    tree = _audit_entries(log, report, progress)
    _audit_state_and_nodes(log, tree, report)
    _audit_checkpoints(log, tree, report, public_key)
    return report


def _audit_entries(
    log: LogStore, report: AuditReport, progress: Callable[[int], None] | None
) -> merkle.MerkleTree:
    """Re-hash and re-parse every entry; return the tree the entries give."""
    found = report.findings.append
    tree = merkle.MerkleTree()
    heads: dict[str, str] = {}
    expected = 0
    for stored in log.iter_entries():
        report.entries += 1
        where = f"entry {stored.index} (record {stored.record_id})"
        if stored.index != expected:
            found(
                Finding(
                    where, f"index {stored.index} where {expected} was expected (gap or reorder)"
                )
            )
        expected = stored.index + 1
        leaf = merkle.leaf_hash(stored.entry)
        if leaf != stored.leaf_hash:
            found(
                Finding(
                    where,
                    f"entry hashes to {leaf.hex()}, stored leaf hash is {stored.leaf_hash.hex()}",
                )
            )
        try:
            record = parse_record(stored.entry)
            if canonical_json(record.to_json()) != stored.entry:
                found(Finding(where, "entry is not the canonical encoding of its record"))
            if record.project:
                if record.prev != heads.get(record.project):
                    found(
                        Finding(
                            where, f"prev {record.prev} breaks project {record.project}'s chain"
                        )
                    )
                heads[record.project] = leaf.hex()
        except NotaryError as e:
            found(Finding(where, f"entry is not a valid record: {e}"))
        while tree.size < stored.index:  # keep positions aligned across a gap
            tree.append_leaf_hash(bytes(32))
        if tree.size == stored.index:
            tree.append_leaf_hash(leaf)
        if progress and report.entries % 10000 == 0:
            progress(report.entries)
    return tree


def _audit_state_and_nodes(log: LogStore, tree: merkle.MerkleTree, report: AuditReport) -> None:
    """The stored size, frontier and every subtree hash must be what the entries give."""
    found = report.findings.append
    size, root = log.state()
    if size != tree.size:
        found(Finding("log_state", f"size {size}, but entries give {tree.size}"))
    elif root != tree.root():
        found(
            Finding(
                "log_state", f"frontier gives root {root.hex()}, entries give {tree.root().hex()}"
            )
        )

    seen = 0
    wrong: set[tuple[int, int]] = set()
    for level, idx, h in log.iter_nodes():
        report.nodes += 1
        first, last = idx << level, ((idx + 1) << level) - 1
        if last >= tree.size:
            found(Finding(f"node ({level}, {idx})", "beyond the end of the log"))
            continue
        seen += 1
        if tree.get_nodes([(level, idx)])[0] == h:
            continue
        wrong.add((level, idx))
        if (level - 1, 2 * idx) in wrong or (level - 1, 2 * idx + 1) in wrong:
            continue  # a smaller subtree inside this one is already named
        found(
            Finding(
                f"node ({level}, {idx})",
                f"entries {first}..{last} no longer give the hash "
                "the tree was built with: a row in that range was replaced, moved or reordered",
            )
        )
    complete = sum(tree.size >> level for level in range(1, tree.size.bit_length()))
    if seen != complete:
        found(Finding("nodes", f"{complete - seen} complete subtree hashes are missing"))


def _audit_checkpoints(
    log: LogStore, tree: merkle.MerkleTree, report: AuditReport, public_key: bytes | None
) -> None:
    """Every signed checkpoint must match the entries' root at its size (and its signature)."""
    found = report.findings.append
    for cp in log.iter_checkpoints():
        report.checkpoints += 1
        where = f"checkpoint {cp.tree_size}"
        if cp.tree_size > tree.size:
            found(Finding(where, "larger than the log"))
        elif tree.root(cp.tree_size).hex() != cp.root_hash:
            found(
                Finding(where, "signed root differs from the entries' root: history was rewritten")
            )
        if public_key is not None:
            try:
                verify_checkpoint(cp, public_key)
            except NotaryError as e:
                found(Finding(where, str(e)))
