# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Acceptance before completion: the works were accepted (an acceptance certificate) before their
completion was recorded, or sooner after it than the configured minimum.

Defence in depth for the order: the lifecycle's gate takes a certificate only in the settlement
step, which only a completion opens; a certificate recorded outside the platform, or a rules change,
would show here. The minimum time between completion and acceptance is not a gate rule at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["AcceptanceBeforeCompletion", "AcceptanceThresholds"]


class AcceptanceThresholds(Thresholds):
    #: Days that must pass from the completion to the acceptance certificate (0: only the order
    #: is checked).
    min_days_after_completion: float = Field(default=0.0, ge=0.0, le=365.0, allow_inf_nan=False)


class AcceptanceBeforeCompletion(ProjectRule[AcceptanceThresholds]):
    id = "acceptance_before_completion"
    title = Words(en="Acceptance before completion", zh="未竣工先验收")
    explanation = Words(
        en="An acceptance certificate was recorded before the works' completion, or too soon "
        "after it.",
        zh="验收证书登记于竣工之前，或距竣工时间过短。",
    )
    severity: Severity = "serious"
    thresholds = AcceptanceThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: AcceptanceThresholds, at: datetime
    ) -> Iterator[Finding]:
        if not s.acceptances:
            return
        accepted, done = s.acceptances[0], s.completion
        gap = timedelta(days=thresholds.min_days_after_completion)
        # the completion is evidence only if it came first: a later one leaves the id as it was
        before = done if done is not None and done.at <= accepted.at else None
        if before is not None and accepted.at - before.at >= gap:
            return
        hours = (
            None if before is None else round((accepted.at - before.at).total_seconds() / 3600, 1)
        )
        en, zh = (
            ("accepted before any completion was recorded", "在登记竣工之前即已验收")
            if hours is None
            else (f"accepted {hours} hours after its completion", f"竣工后仅 {hours} 小时即验收")
        )
        minimum = thresholds.min_days_after_completion
        yield Finding(
            en=f"Project {s.code} was {en} (minimum {minimum} days).",
            zh=f"项目 {s.code} {zh}（规定至少间隔 {minimum} 天）。",
            figures={"hours_after_completion": hours},
            evidence=[accepted.ref, *([before.ref] if before else [])],
        )
