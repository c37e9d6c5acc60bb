# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Payment without acceptance: money paid before the works were accepted (no acceptance
certificate yet), beyond an allowed advance.

Defence in depth: the lifecycle's gate takes a payment request only after the certificate, but
payments imported from the finance system do not pass the gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds, cny
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["AdvanceThresholds", "PaymentWithoutAcceptance"]


class AdvanceThresholds(Thresholds):
    #: An advance up to this percentage of the contract (with its change orders) may be paid
    #: before acceptance.
    advance_percent: float = Field(default=0.0, ge=0.0, le=100.0, allow_inf_nan=False)


class PaymentWithoutAcceptance(ProjectRule[AdvanceThresholds]):
    id = "payment_without_acceptance"
    title = Words(en="Payment without acceptance", zh="未验收先付款")
    explanation = Words(
        en="Money was paid to the project before an acceptance certificate was recorded, beyond "
        "the advance allowed.",
        zh="项目在登记验收证书之前已付款，且超过允许的预付比例。",
    )
    severity: Severity = "serious"
    thresholds = AdvanceThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: AdvanceThresholds, at: datetime
    ) -> Iterator[Finding]:
        accepted = s.acceptances[0].at if s.acceptances else None
        early = [p for p in s.payments if accepted is None or p.event.at < accepted]
        paid = sum(p.amount_fen for p in early)
        contract = s.contract_total_fen(early[-1].event.at) if early else 0
        if not early or paid <= contract * thresholds.advance_percent / 100:
            return
        when = "before any acceptance" if accepted is None else "before the acceptance"
        advance = thresholds.advance_percent
        yield Finding(
            en=f"Project {s.code}: {cny(paid)} CNY was paid in {len(early)} payment(s) {when}; "
            f"the advance allowed is {advance}% of the contract's {cny(contract)} CNY.",
            zh=f"项目 {s.code} 在验收前已付款 {len(early)} 笔，共 {cny(paid)} 元；"
            f"允许预付合同金额 {cny(contract)} 元的 {advance}%。",
            figures={"paid_before_acceptance_fen": paid, "contract_total_fen": contract},
            evidence=[p.event.ref for p in early],
        )
