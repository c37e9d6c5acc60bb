# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""The public notice late, short or missing.

- *late*: published more than ``max_days_to_publish`` days after the approval that opened it (or
  not yet published that long after it) — the gate does not time this;
- *short*: closed less than ``min_days`` after it was published — defence in depth: the gate
  refuses it under its own ``notice_min_days``, which a rules change may lower;
- *missing*: closed without being published, or the works awarded or contracted with no notice
  ever published — defence in depth: the gate refuses both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds
from notary.oversight.snapshot import Event, NoticeCycle, ProjectSnapshot

__all__ = ["NoticeIrregular", "NoticeThresholds"]


class NoticeThresholds(Thresholds):
    #: Days from the approval by which the notice must be published.
    max_days_to_publish: float = Field(default=7.0, ge=0.0, le=365.0, allow_inf_nan=False)
    #: Days the notice must stay published.
    min_days: float = Field(default=5.0, ge=0.0, le=365.0, allow_inf_nan=False)


@dataclass(frozen=True)
class _Issue:
    issue: str
    en: str
    zh: str
    days: float | None
    evidence: tuple[Event, ...]


def _days(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds() / 86400, 2)


def _late(c: NoticeCycle, t: NoticeThresholds, at: datetime) -> _Issue | None:
    if c.approval is None or (c.published is None and c.closed is not None):
        return None  # a notice closed unpublished is missing, not late
    until = c.published.at if c.published else at
    if until - c.approval.at <= timedelta(days=t.max_days_to_publish):
        return None
    days = _days(until, c.approval.at)
    en = f"the notice was {'published' if c.published else 'not yet published'} {days} days "
    zh = f"审批通过 {days} 天后公示{'才发布' if c.published else '仍未发布'}"
    return _Issue("late", en + "after the approval", zh, days, (c.approval,))


def _short(c: NoticeCycle, t: NoticeThresholds) -> _Issue | None:
    if c.published is None or c.closed is None:
        return None
    if c.closed.at - c.published.at >= timedelta(days=t.min_days):
        return None
    days = _days(c.closed.at, c.published.at)
    en, zh = f"the notice was up only {days} days", f"公示期仅 {days} 天"
    return _Issue("short", en, zh, days, (c.published, c.closed))


def _missing(s: ProjectSnapshot) -> Iterator[_Issue]:
    unpublished = [c.closed for c in s.notices if c.published is None and c.closed is not None]
    for closed in unpublished:
        en, zh = "the notice was closed without being published", "公示未发布即结束"
        yield _Issue("missing", en, zh, None, (closed,))
    works = s.parties[0].event if s.parties else None
    if works is None or unpublished:
        return
    if not any(c.published is not None and c.published.at <= works.at for c in s.notices):
        en = f"the works were given out ({works.ref.kind}) with no notice published"
        yield _Issue("missing", en, "项目未经公示即已发包", None, (works,))


def _issues(s: ProjectSnapshot, t: NoticeThresholds, at: datetime) -> Iterator[_Issue]:
    for c in s.notices:
        yield from (f for f in (_late(c, t, at), _short(c, t)) if f is not None)
    yield from _missing(s)


class NoticeIrregular(ProjectRule[NoticeThresholds]):
    id = "notice_irregular"
    title = Words(en="Public notice late, short or missing", zh="公示滞后、过短或缺失")
    explanation = Words(
        en="The project's public notice was published late after its approval, stayed up "
        "shorter than required, or is missing.",
        zh="项目公示在审批后发布滞后、公示期不足规定天数，或未经公示。",
    )
    severity: Severity = "warning"
    thresholds = NoticeThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: NoticeThresholds, at: datetime
    ) -> Iterator[Finding]:
        limits_en = (
            f"publish within {thresholds.max_days_to_publish} days, keep up "
            f"{thresholds.min_days} days"
        )
        limits_zh = (
            f"规定审批后 {thresholds.max_days_to_publish} 天内发布，公示不少于 "
            f"{thresholds.min_days} 天"
        )
        for f in _issues(s, thresholds, at):
            yield Finding(
                en=f"Project {s.code}: {f.en} ({limits_en}).",
                zh=f"项目 {s.code}：{f.zh}（{limits_zh}）。",
                figures={"issue": f.issue, "days": f.days},
                evidence=[e.ref for e in f.evidence],
            )
