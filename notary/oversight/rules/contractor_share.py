# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Contractor share: one contractor wins a high share of a township's projects awarded in a recent
window."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import Field

from notary.oversight.alert import Alert, Severity, Subject, Words
from notary.oversight.rule import Thresholds, alert, percent
from notary.oversight.snapshot import Party, ProjectSnapshot

__all__ = ["ContractorShare", "ShareThresholds"]


class ShareThresholds(Thresholds):
    #: A contractor winning more than this share of the township's awards raises an alert.
    share_percent: float = Field(default=30.0, gt=0.0, le=100.0, allow_inf_nan=False)
    #: Townships with fewer awards in the window are not judged (a share of few means little).
    min_projects: int = Field(default=10, ge=1, le=100_000)
    #: Awards recorded in the last this many days count.
    window_days: int = Field(default=365, ge=1, le=3650)


class ContractorShare:
    id = "contractor_share"
    title = Words(en="One contractor wins a high share", zh="单一施工单位中标占比过高")
    explanation = Words(
        en="One contractor won more than the allowed share of the projects a township awarded "
        "in the period.",
        zh="某施工单位在一段时期内中标某乡镇项目的比例超过规定上限。",
    )
    severity: Severity = "warning"
    thresholds = ShareThresholds

    def evaluate(
        self, snapshots: Sequence[ProjectSnapshot], thresholds: ShareThresholds, at: datetime
    ) -> tuple[Alert, ...]:
        since = at - timedelta(days=thresholds.window_days)
        awards: dict[tuple[str, str], list[Party]] = defaultdict(list)
        for s in snapshots:
            award = s.awarded_to
            if award is not None and since <= award.event.at <= at:
                awards[(s.region.county, s.region.township)].append(award)
        alerts = []
        for (county, township), won in sorted(awards.items()):
            if len(won) < thresholds.min_projects:
                continue
            wins = Counter(p.organisation for p in won)
            for organisation, count in sorted(wins.items()):
                if count * 100 <= thresholds.share_percent * len(won):
                    continue
                share = percent(count, len(won))
                alerts.append(
                    alert(
                        self,
                        thresholds,
                        at,
                        subject=Subject(
                            organisation=organisation, county=county, township=township
                        ),
                        en=f"{organisation} won {count} of the {len(won)} projects {township} "
                        f"awarded in the last {thresholds.window_days} days: {share}% (limit "
                        f"{thresholds.share_percent}%).",
                        zh=f"{organisation} 在近 {thresholds.window_days} 天内中标{township}"
                        f" {len(won)} 个项目中的 {count} 个，占 {share}%"
                        f"（上限 {thresholds.share_percent}%）。",
                        figures={"won": count, "awarded": len(won), "share_percent": share},
                        evidence=[p.event.ref for p in won if p.organisation == organisation],
                    )
                )
        return tuple(alerts)
