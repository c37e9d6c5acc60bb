"""What a risk rule is: an id, a title and a plain explanation in two languages, a thresholds model
with defaults, and ``evaluate`` — linear in the snapshots it is given."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from notary.oversight.alert import Alert, Figure, Severity, Subject, Words
from notary.oversight.snapshot import ProjectSnapshot, RecordRef

__all__ = ["Finding", "ProjectRule", "Rule", "Thresholds", "alert", "cny", "listed", "percent"]


class Thresholds(BaseModel):
    """A rule's thresholds: frozen, every field with a default, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


T = TypeVar("T", bound=Thresholds)


class Rule(Protocol[T]):
    """A risk rule. ``evaluate`` reads the snapshots as they stand at ``at`` (timezone-aware:
    the server's now, in the county's offset, which fixes what "a day" is) and returns its
    alerts in a fixed order."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> Words: ...

    @property
    def explanation(self) -> Words: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def thresholds(self) -> type[T]: ...

    def evaluate(
        self, snapshots: Sequence[ProjectSnapshot], thresholds: T, at: datetime
    ) -> tuple[Alert, ...]: ...


def cny(fen: int) -> str:
    """An amount in fen as yuan, with thousands separators: ``12,345.60``."""
    return f"{fen / 100:,.2f}"


def listed(names: Iterable[str], sep: str = ", ", most: int = 10) -> str:
    """At most ``most`` names joined by ``sep``, then how many more (``+N``), so an explanation
    stays short however large the finding."""
    names = list(names)
    more = f"{sep}+{len(names) - most}" if len(names) > most else ""
    return sep.join(names[:most]) + more


def percent(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, to two decimals (0 of nothing is 0)."""
    return round(100 * part / whole, 2) if whole else 0.0


def alert(
    rule: Rule[T],
    thresholds: T,
    at: datetime,
    *,
    subject: Subject,
    en: str,
    zh: str,
    figures: Mapping[str, Figure],
    evidence: Iterable[RecordRef],
) -> Alert:
    """An alert of ``rule`` at ``at`` under ``thresholds``: the finding in English and Chinese
    (``en``, ``zh``, with the figures), the figures by name, and the records behind it."""
    return Alert.raise_(
        rule=rule.id,
        severity=rule.severity,
        title=rule.title,
        subject=subject,
        explanation=Words(en=en, zh=zh),
        figures=figures,
        evidence=evidence,
        thresholds=thresholds,
        at=at,
    )


@dataclass(frozen=True)
class Finding:
    """What a rule found in one project: in English and Chinese, the figures, the records, and
    other projects it concerns besides its own (``also``)."""

    en: str
    zh: str
    figures: Mapping[str, Figure]
    evidence: Sequence[RecordRef]
    also: Sequence[str | None] = ()


class ProjectRule(ABC, Generic[T]):
    """A rule that judges each project on its own: a subclass sets the rule's attributes and
    writes :meth:`check`; each finding becomes an alert about the project."""

    id: str
    title: Words
    explanation: Words
    severity: Severity
    thresholds: type[T]

    @abstractmethod
    def check(self, s: ProjectSnapshot, thresholds: T, at: datetime) -> Iterator[Finding]:
        """The findings in project ``s`` at ``at``."""

    def evaluate(
        self, snapshots: Sequence[ProjectSnapshot], thresholds: T, at: datetime
    ) -> tuple[Alert, ...]:
        return tuple(
            alert(
                self,
                thresholds,
                at,
                subject=Subject.of_projects([s.code, *f.also]),
                en=f.en,
                zh=f.zh,
                figures=f.figures,
                evidence=f.evidence,
            )
            for s in snapshots
            for f in self.check(s, thresholds, at)
        )
