"""Verification against this server's own trust root: its log key and its configured chain.

A bundle is judged by :func:`verify_proof`; a file's SHA-256 by :func:`verify_digest`, which finds
the records that notarize it, judges the bundle of each anchored one and gives the best verdict.
Of a private record the caller may not read, a verdict keeps only its level and the outcome of each
check (:func:`_withheld`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from api.service.records import proof_bundle
from api.storage.entries import StoredEntry
from notary.bundle import ProofBundle, verify_bundle
from notary.digests import ContentDigest
from notary.verdict import Check, Level, VerificationReport

if TYPE_CHECKING:
    from api.context import AppContext

__all__ = ["DigestVerdict", "Match", "verify_digest", "verify_proof"]

#: At most this many records that notarize one file are judged.
MAX_MATCHES = 20


@dataclass(frozen=True, slots=True)
class Match:
    """A record that notarizes the file, its bundle once anchored, and that bundle's verdict
    (withheld when the caller may not read the record)."""

    stored: StoredEntry
    readable: bool
    bundle: ProofBundle | None
    report: VerificationReport | None


@dataclass(frozen=True, slots=True)
class DigestVerdict:
    """The verdict on a file: a check ``found`` first, then the best match's checks."""

    report: VerificationReport
    matches: list[Match]


def verify_proof(
    ctx: AppContext, bundle: ProofBundle, digest: ContentDigest | None = None
) -> VerificationReport:
    """Judged against this server's own log key and its configured chain, never the bundle's."""
    trust, chain = ctx.trust()
    return verify_bundle(bundle, trust=trust, file_digest=digest, chain=chain)


def verify_digest(
    ctx: AppContext,
    sha256: str,
    digest: ContentDigest | None,
    may_read: Callable[[StoredEntry], bool],
) -> DigestVerdict:
    """The best verdict of the records that notarize a file with this SHA-256 (and, when the
    file itself is given, its ``digest``). ``may_read`` says whether the caller may read one."""
    found = ctx.notary.log.find_by_content(sha256, limit=MAX_MATCHES)
    if not found:
        missing = Check("found", False, "no record in this log notarizes a file with this SHA-256")
        return DigestVerdict(VerificationReport.judge([missing], None), [])
    trust, chain = ctx.trust()  # once for every match, not once per match
    matches: list[Match] = []
    best: VerificationReport | None = None
    for stored in found:
        readable = may_read(stored)
        bundle = proof_bundle(ctx, stored)
        report = (
            verify_bundle(bundle, trust=trust, file_digest=digest, chain=chain)
            if bundle is not None
            else None
        )
        if report is not None and not readable:
            report = _withheld(report)
        if report is not None and (best is None or _RANK[report.level] < _RANK[best.level]):
            best = report
        matches.append(Match(stored, readable, bundle, report))
    hit = Check("found", True, f"{len(matches)} record(s) notarize this file")
    if best is None:  # in the log, none anchored yet: the server vouches for its own log
        pending = Check("anchor", None, "in this log; waiting to be anchored")
        return DigestVerdict(VerificationReport.judge([hit, pending], None), matches)
    verdict = VerificationReport(best.level, best.reason, (hit, *best.checks), best.trust)
    return DigestVerdict(verdict, matches)


_RANK = {level: rank for rank, level in enumerate(Level)}
_OUTCOME = {True: "passed", False: "failed", None: "not checked"}


def _withheld(report: VerificationReport) -> VerificationReport:
    """``report`` on a private record, for a caller who may not read it: the verdict and the
    outcome of each check, without their details (which may quote the record: its file's size, a
    signer) or the checks named after a signing party."""
    checks = tuple(
        Check(c.name, c.passed, _OUTCOME[c.passed]) for c in report.checks if ":" not in c.name
    )
    reason = f"{report.level.value} (the details concern a private record)"
    return replace(report, reason=reason, checks=checks)
