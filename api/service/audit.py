"""Tamper detection: recompute every leaf and the whole tree from the stored entries.

Nothing stored is trusted: each entry is re-parsed and re-hashed, indices must run 0..n-1 without a
gap, each project's ``prev`` chain must link, every column derived from an entry must say what the
entry says, and every project head, stored subtree hash, the log state and every signed checkpoint
must equal what the entries give; with the lifecycle's rules, so must every project's stored state
(:mod:`api.service.audit_projects`). Each finding names the row (and column) it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from api.service.audit_projects import audit_projects
from api.service.lifecycle import REGISTRATION
from api.storage.columns import DERIVED_COLUMNS, derived_columns
from api.storage.entries import Head
from api.storage.log import LogStore
from notary import merkle
from notary.errors import NotaryError
from notary.keys import revoked_key
from notary.lifecycle import LifecycleRules
from notary.records import Record, parse_record
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
    projects: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def audit_log(
    log: LogStore,
    *,
    public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
    rules: LifecycleRules | None = None,
) -> AuditReport:
    """Audit ``log``; with ``rules``, the stored state of the projects under the lifecycle too."""
    report = AuditReport()
    tree, heads, registered = _audit_entries(log, report, progress)
    _audit_project_heads(log, heads, report)
    if rules is not None:
        report.projects = audit_projects(
            log, registered, heads, rules, lambda w, p: report.findings.append(Finding(w, p))
        )
    _audit_state_and_nodes(log, tree, report)
    _audit_checkpoints(log, tree, report, public_key)
    return report


def _audit_entries(
    log: LogStore, report: AuditReport, progress: Callable[[int], None] | None
) -> tuple[merkle.MerkleTree, dict[str, Head], dict[str, int]]:
    """Re-hash and re-parse every entry and check its row's derived columns; return the tree,
    the project heads the entries give, and the projects whose first record is a registration."""
    found = report.findings.append
    tree = merkle.MerkleTree()
    heads: dict[str, Head] = {}
    registered: dict[str, int] = {}
    keys = _KeyHistory()
    expected = 0
    for stored, columns in log.iter_with_columns():
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
            if record.canonical() != stored.entry:
                found(Finding(where, "entry is not the canonical encoding of its record"))
            for name, have, want in zip(
                DERIVED_COLUMNS, columns, derived_columns(record), strict=True
            ):
                if have != want:
                    found(Finding(where, f"column {name} is {have!r}, the entry gives {want!r}"))
            for problem in keys.follow(stored.index, record):
                found(Finding(where, problem))
            if record.project:
                head = heads.get(record.project)
                if record.prev != (head[1].hex() if head else None):
                    found(
                        Finding(
                            where, f"prev {record.prev} breaks project {record.project}'s chain"
                        )
                    )
                heads[record.project] = (stored.index, leaf, head[2] + 1 if head else 1)
                if head is None and record.kind == REGISTRATION:
                    registered[record.project] = stored.index
        except NotaryError as e:
            found(Finding(where, f"entry is not a valid record: {e}"))
        while tree.size < stored.index:  # keep positions aligned across a gap
            tree.append_leaf_hash(bytes(32))
        if tree.size == stored.index:
            tree.append_leaf_hash(leaf)
        if progress and report.entries % 10000 == 0:
            progress(report.entries)
    return tree, heads, registered


class _KeyHistory:
    """Key revocations as the log tells them (notary/keys.py): a record signed with a key revoked
    before it is a finding (an offline verifier cannot see a revocation; the audit can)."""

    def __init__(self) -> None:
        self.revoked: dict[tuple[str, str], int] = {}

    def follow(self, index: int, record: Record) -> list[str]:
        revocation = revoked_key(record)
        if revocation is not None:
            self.revoked.setdefault(revocation, index)
        problems = []
        for sig in record.signatures:
            pair = (sig.party, sig.key_id)
            if pair in self.revoked:
                problems.append(
                    f"signed by {sig.party} with key {sig.key_id}, revoked at leaf "
                    f"{self.revoked[pair]} before this record"
                )
        return problems


def _audit_project_heads(log: LogStore, heads: dict[str, Head], report: AuditReport) -> None:
    """Each project's stored head, which the next record's ``prev`` is taken from, must be its
    last record."""
    stored = log.project_heads()
    for project in sorted(stored.keys() | heads.keys()):
        have, want = stored.get(project), heads.get(project)
        if have != want:
            report.findings.append(
                Finding(f"project head {project}", f"{_head(have)}, the entries give {_head(want)}")
            )


def _head(head: Head | None) -> str:
    if head is None:
        return "none"
    index, leaf, count = head
    return f"leaf {index} ({leaf.hex()}) after {count} records"


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
