"""The one verdict: named checks (passed, failed, or not checked and why) and the level they
support. Every verifier of the core (:mod:`notary.bundle`, project proofs) reports in these terms,
so a person, the CLI and the page read the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from notary.errors import NotaryError
from notary.signing import Checkpoint, verify_checkpoint
from notary.trust import TrustedLog, TrustRoot

__all__ = [
    "Check",
    "Level",
    "VerificationReport",
    "check_pinned_log",
    "passes",
]


class Level(StrEnum):
    """How far a bundle was authenticated, strongest first."""

    #: Pinned log or trusted chain, and the root is anchored in the trusted contract by a
    #: successful, canonical, confirmed transaction.
    ANCHORED = "anchored"
    #: Signed by a log key the verifier pinned; leaf and inclusion hold; not (yet) checked on chain.
    LOG_VERIFIED = "verified_by_log"
    #: Self-consistent, but checked against no trust root: proves nothing about who logged it.
    NOT_AUTHENTICATED = "not_authenticated"
    #: A check failed (``reason`` names it).
    NOT_VERIFIED = "not_verified"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool | None  # None: not checked (say why in detail)
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The verdict on one bundle: its level, the reason in words, the trust root that
    authenticated it (None when nothing did) and every check made."""

    level: Level
    reason: str
    checks: tuple[Check, ...]
    trust: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        """True only for an authenticated verdict: anchored, or verified by a pinned log."""
        return self.level in (Level.ANCHORED, Level.LOG_VERIFIED)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "level": self.level.value,
            "reason": self.reason,
            "trust": self.trust,
            "checks": [c.to_json() for c in self.checks],
        }

    @classmethod
    def judge(cls, checks: Sequence[Check], pinned: TrustedLog | None) -> VerificationReport:
        """The level the checks support (see :class:`Level`)."""
        by_name = {c.name: c.passed for c in checks}
        failed = [c for c in checks if c.passed is False]
        if failed:
            reason = f"{failed[0].name}: {failed[0].detail}"
            return cls(Level.NOT_VERIFIED, reason, tuple(checks))
        trust: dict[str, Any] = {}
        if pinned is not None and by_name.get("checkpoint_signature") is True:
            trust = {"log_id": pinned.log_id, "log_name": pinned.name}
        anchored = by_name.get("anchor") is True and by_name.get("anchor_tx") is True
        if anchored:
            anchor = next(c for c in checks if c.name == "anchor_tx")
            trust["chain"] = anchor.detail
            return cls(
                Level.ANCHORED, "in the log and anchored on the trusted chain", tuple(checks), trust
            )
        if trust:
            why = next(
                (c.detail for c in checks if c.name.startswith("anchor") and not c.passed), ""
            )
            return cls(Level.LOG_VERIFIED, f"in the pinned log; chain: {why}", tuple(checks), trust)
        return cls(
            Level.NOT_AUTHENTICATED,
            "self-consistent, but checked against no trust root: pin the log key or name the chain",
            tuple(checks),
        )


def passes(name: str, ok_detail: str, fn: Callable[[], object]) -> Check:
    """The check ``name``: passed when ``fn`` returns, failed with the error it raises."""
    try:
        fn()
    except NotaryError as e:
        return Check(name, False, str(e))
    return Check(name, True, ok_detail)


def check_pinned_log(
    cp: Checkpoint, trust: TrustRoot, pinned: TrustedLog | None, what: str
) -> list[Check]:
    """The ``log`` check of ``cp`` against the logs ``trust`` pins and, when its log is pinned,
    ``checkpoint_signature`` by that pinned key (``what`` names the document: "bundle", "proof").
    Without a pinned log only the ``log`` check is returned: the caller says what else it can."""
    if pinned is not None:
        name = f" ({pinned.name})" if pinned.name else ""
        return [
            Check("log", True, f"log {cp.log_id}{name} is pinned by this verifier"),
            passes(
                "checkpoint_signature",
                "signed by the pinned key of log " + cp.log_id,
                lambda: verify_checkpoint(cp, pinned.public_key),
            ),
        ]
    if trust.logs:
        theirs = ", ".join(trust.log_ids())
        detail = f"not from this log: the {what} is from log {cp.log_id}, not {theirs}"
        return [Check("log", False, detail)]
    return [Check("log", None, "no log key is pinned: pin one (--log-key, --trust)")]
