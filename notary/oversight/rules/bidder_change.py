# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Change of the winning bidder or of the contract party: the organisation put on the execution
side (by the award, the contract's signer, the execution power) changes in the project's records.

Defence in depth: under the lifecycle's gate the award and the contract are recorded once, the
contract is signed by the awardee and a power once assigned stays, so no change passes it; a
re-tender decided outside the platform, or a rules change, would show here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds, listed
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["BidderChange", "BidderThresholds"]


class BidderThresholds(Thresholds):
    #: Changes of the execution party tolerated in one project; one more raises an alert.
    max_changes: int = Field(default=0, ge=0, le=100)


class BidderChange(ProjectRule[BidderThresholds]):
    id = "bidder_change"
    title = Words(en="Winning bidder or contract party changed", zh="中标人或合同当事人变更")
    explanation = Words(
        en="The organisation that won the project, signed its contract or holds its execution "
        "power changed after the award.",
        zh="项目中标后，中标单位、合同签订单位或执行权持有单位发生了变更。",
    )
    severity: Severity = "warning"
    thresholds = BidderThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: BidderThresholds, at: datetime
    ) -> Iterator[Finding]:
        parties = s.parties
        changed = [
            i
            for i in range(1, len(parties))
            if parties[i].organisation != parties[i - 1].organisation
        ]
        if len(changed) <= thresholds.max_changes:
            return
        # the records up to the change that broke the tolerance: later ones leave the id as is
        upto = parties[: changed[thresholds.max_changes] + 1]
        order = listed(dict.fromkeys(p.organisation for p in parties), " → ")
        yield Finding(
            en=f"In project {s.code} the execution party changed {len(changed)} times "
            f"(tolerated: {thresholds.max_changes}): {order}.",
            zh=f"项目 {s.code} 的中标或合同单位变更 {len(changed)} 次"
            f"（允许 {thresholds.max_changes} 次）：{order}。",
            figures={
                "changes": len(changed),
                "organisations": len({p.organisation for p in parties}),
            },
            evidence=[p.event.ref for p in upto],
        )
