"""Indicators of a region and a period, for the live dashboard: one pass over the snapshots.

The cohort is the projects of ``region`` registered in ``period`` (``start`` ≤ registration <
``end``); each figure is as it stood at the period's end (records at or after ``end`` are not
counted), so a past period's figures do not move:

- ``registered``; ``started`` (a contract signed: the works given out) and ``completed`` (a
  completion recorded), with their rates over ``registered``;
- budget execution: the cohort's ``budget_fen``, ``contract_fen`` (contracts with their change
  orders) and ``paid_fen``, and the ratios of the last two to the budget;
- cycle time per step: for each step, the projects that left it in the period's reach, and the mean
  and longest days they spent in it (a project sent back counts every stay);
- ``objections`` raised against public notices, ``objections_upheld``, and
  ``projects_with_objections``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from notary.lifecycle import Region, Step
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["Indicators", "Period", "RegionScope", "StepTime", "indicators"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class RegionScope(BaseModel):
    """A county, a township of it, or a village of that township."""

    model_config = _FROZEN

    county: str = Field(min_length=1, max_length=64)
    township: str | None = Field(default=None, min_length=1, max_length=64)
    village: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _village_in_township(self) -> RegionScope:
        if self.village is not None and self.township is None:
            raise ValueError("a village is named within its township")
        return self

    def contains(self, region: Region) -> bool:
        return (
            region.county == self.county
            and self.township in (None, region.township)
            and self.village in (None, region.village)
        )


class Period(BaseModel):
    """The instants ``start`` ≤ t < ``end`` (timezone-aware: the caller's days, e.g. the
    county's local midnight)."""

    model_config = _FROZEN

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")
        return self


class StepTime(BaseModel):
    """How long projects stayed in a step: over ``stays`` completed stays, the mean and the
    longest, in days."""

    model_config = _FROZEN

    step: Step
    stays: int
    mean_days: float
    max_days: float


class Indicators(BaseModel):
    """The indicators of :func:`indicators`. Rates are fractions (0..1), None when there is
    nothing to divide by; money in fen."""

    model_config = _FROZEN

    region: RegionScope
    period: Period
    registered: int
    started: int
    completed: int
    start_rate: float | None
    completion_rate: float | None
    budget_fen: int
    contract_fen: int
    paid_fen: int
    contract_ratio: float | None
    paid_ratio: float | None
    step_days: tuple[StepTime, ...]
    objections: int
    objections_upheld: int
    projects_with_objections: int


@dataclass
class _Stays:
    count: int = 0
    total_s: float = 0.0
    max_s: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total_s += seconds
        self.max_s = max(self.max_s, seconds)


@dataclass
class _Sums:
    registered: int = 0
    started: int = 0
    completed: int = 0
    budget: int = 0
    contract: int = 0
    paid: int = 0
    objections: int = 0
    upheld: int = 0
    objected: int = 0
    stays: dict[Step, _Stays] = field(default_factory=lambda: {s: _Stays() for s in Step})

    def add(self, s: ProjectSnapshot, period: Period) -> None:
        end = period.end
        self.registered += 1
        self.started += any(p.event.at < end for p in s.of_kind("contract"))
        self.completed += s.completion is not None and s.completion.at < end
        self.budget += s.project.budget_fen
        self.contract += s.contract_total_fen(end)
        self.paid += s.paid_fen(end)
        raised = sum(e.at < end for e in s.objections)
        self.objections += raised
        self.objected += raised > 0
        self.upheld += sum(e.at < end for e in s.objections_upheld)
        for v in s.visits:
            if v.left is not None and v.left < end:
                self.stays[v.step].add((v.left - v.entered).total_seconds())


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def indicators(
    snapshots: Iterable[ProjectSnapshot], region: RegionScope, period: Period
) -> Indicators:
    """The indicators of the projects of ``region`` registered in ``period``, as at its end."""
    sums = _Sums()
    for s in snapshots:
        if region.contains(s.region) and period.start <= s.registered.at < period.end:
            sums.add(s, period)
    return Indicators(
        region=region,
        period=period,
        registered=sums.registered,
        started=sums.started,
        completed=sums.completed,
        start_rate=_rate(sums.started, sums.registered),
        completion_rate=_rate(sums.completed, sums.registered),
        budget_fen=sums.budget,
        contract_fen=sums.contract,
        paid_fen=sums.paid,
        contract_ratio=_rate(sums.contract, sums.budget),
        paid_ratio=_rate(sums.paid, sums.budget),
        step_days=tuple(
            StepTime(
                step=step,
                stays=t.count,
                mean_days=round(t.total_s / t.count / 86400, 2) if t.count else 0.0,
                max_days=round(t.max_s / 86400, 2),
            )
            for step, t in sums.stays.items()
            if step is not Step.ARCHIVED
        ),
        objections=sums.objections,
        objections_upheld=sums.upheld,
        projects_with_objections=sums.objected,
    )
