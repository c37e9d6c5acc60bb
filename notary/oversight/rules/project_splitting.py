# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Project splitting: several projects of one village and category, won by one contractor and
registered within a short window, whose budgets together exceed the small-project ceiling — one
project cut into pieces that each pass the ceiling the gate checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate

from pydantic import Field

from notary.oversight.alert import Alert, Severity, Subject, Words
from notary.oversight.rule import Thresholds, alert, cny, listed
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["ProjectSplitting", "SplittingThresholds"]


class SplittingThresholds(Thresholds):
    #: Registrations at most this many days apart (first to last) are one window.
    window_days: int = Field(default=90, ge=1, le=3650)
    #: Projects a window needs at least.
    min_projects: int = Field(default=2, ge=2, le=1000)
    #: The ceiling their budgets may not exceed together; None: the small-project ceiling of the
    #: lifecycle rules for the village.
    ceiling_fen: int | None = Field(default=None, ge=0, le=2**53 - 1)


class ProjectSplitting:
    id = "project_splitting"
    title = Words(en="Possible project splitting", zh="疑似拆分项目")
    explanation = Words(
        en="Projects of the same village and category, won by the same contractor and registered "
        "close together, add up to more than the small-project ceiling.",
        zh="同一村、同一类别、同一施工单位在短期内登记的多个项目，预算合计超过小额工程限额。",
    )
    severity: Severity = "warning"
    thresholds = SplittingThresholds

    def evaluate(
        self, snapshots: Sequence[ProjectSnapshot], thresholds: SplittingThresholds, at: datetime
    ) -> tuple[Alert, ...]:
        groups: dict[tuple[str, str, str, str, str], list[ProjectSnapshot]] = defaultdict(list)
        for s in snapshots:
            winner = s.awarded_to
            if winner is not None:
                r = s.region
                key = (r.county, r.township, r.village, s.project.category, winner.organisation)
                groups[key].append(s)
        alerts = []
        for key in sorted(groups):
            group = sorted(groups[key], key=lambda s: s.registered.at)
            for window in _windows(group, thresholds):
                alerts.append(self._alert(window, thresholds, at))
        return tuple(alerts)

    def _alert(
        self, window: Sequence[ProjectSnapshot], thresholds: SplittingThresholds, at: datetime
    ) -> Alert:
        first = window[0]
        ceiling = _ceiling(first, thresholds)
        total = sum(s.project.budget_fen for s in window)
        days = (window[-1].registered.at - first.registered.at).days
        codes = listed(s.code for s in window)
        contractor = first.awarded_to.organisation if first.awarded_to else "-"
        place = f"{first.region.township}/{first.region.village}"
        return alert(
            self,
            thresholds,
            at,
            subject=Subject.of_projects(s.code for s in window),
            en=f"{len(window)} {first.project.category} projects of {place} ({codes}), all won by "
            f"{contractor} and registered within {days} days, have budgets totalling "
            f"{cny(total)} CNY, over the small-project ceiling of {cny(ceiling)} CNY.",
            zh=f"{place} 的 {len(window)} 个{first.project.category}类项目（{codes}）均由 "
            f"{contractor} 中标，在 {days} 天内登记，预算合计 {cny(total)} 元，"
            f"超过小额工程限额 {cny(ceiling)} 元。",
            figures={
                "projects": len(window),
                "total_budget_fen": total,
                "ceiling_fen": ceiling,
                "days": days,
            },
            evidence=[
                ref
                for s in window
                for ref in (s.registered.ref, *(p.event.ref for p in s.of_kind("award")))
            ],
        )


def _ceiling(snapshot: ProjectSnapshot, thresholds: SplittingThresholds) -> int:
    return snapshot.ceiling_fen if thresholds.ceiling_fen is None else thresholds.ceiling_fen


def _windows(
    group: list[ProjectSnapshot], thresholds: SplittingThresholds
) -> list[list[ProjectSnapshot]]:
    """The windows, left to right, that break the ceiling: from each project not yet in a window,
    every project registered within the window after it (two pointers: linear after sorting)."""
    span = timedelta(days=thresholds.window_days)
    sums = [0, *accumulate(s.project.budget_fen for s in group)]
    found, i, j = [], 0, 0
    while i < len(group):
        j = max(j, i + 1)
        while j < len(group) and group[j].registered.at - group[i].registered.at <= span:
            j += 1
        if j - i >= thresholds.min_projects and sums[j] - sums[i] > _ceiling(group[i], thresholds):
            found.append(group[i:j])
            i = j
        else:
            i += 1
    return found
