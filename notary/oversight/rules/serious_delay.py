# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Serious delay: a project past its planned end by more than a margin, with no completion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from notary.lifecycle import STEP_ZH
from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["DelayThresholds", "SeriousDelay"]


class DelayThresholds(Thresholds):
    #: Whole days past the planned end that are tolerated; one more is a serious delay.
    margin_days: int = Field(default=30, ge=0, le=3650)


class SeriousDelay(ProjectRule[DelayThresholds]):
    id = "serious_delay"
    title = Words(en="Serious delay", zh="严重延期")
    explanation = Words(
        en="The project is past its planned end by more than the allowed margin and no "
        "completion has been recorded.",
        zh="项目已超过计划完工日期且超出允许的宽限天数，仍未登记竣工。",
    )
    severity: Severity = "serious"
    thresholds = DelayThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: DelayThresholds, at: datetime
    ) -> Iterator[Finding]:
        today, end = at.date(), s.project.planned_end
        overdue = (today - end).days
        if s.completion is not None or overdue <= thresholds.margin_days:
            return
        contract = s.contract
        yield Finding(
            en=f"Project {s.code} was planned to end on {end}; on {today} it is {overdue} days "
            f"late (margin {thresholds.margin_days} days) and not completed. It is in the "
            f"{s.step.value} step.",
            zh=f"项目 {s.code} 计划于 {end} 完工，截至 {today} 已逾期 {overdue} 天"
            f"（宽限 {thresholds.margin_days} 天），仍未竣工，目前处于{STEP_ZH[s.step]}阶段。",
            figures={"planned_end": end.isoformat(), "overdue_days": overdue},
            evidence=[s.registered.ref, *([contract.event.ref] if contract else [])],
        )
