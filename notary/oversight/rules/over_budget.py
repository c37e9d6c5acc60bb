# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Over budget: the contract with its change orders, or the payments, exceed the project's budget.

Defence in depth: the lifecycle's gate refuses an award, contract, change order or settlement over
the budget and a payment over the contract, but payments imported from the finance system do not
pass the gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds, cny, percent
from notary.oversight.snapshot import Money, Party, ProjectSnapshot, RecordRef

__all__ = ["BudgetThresholds", "OverBudget"]


class BudgetThresholds(Thresholds):
    #: Spending up to the budget plus this percentage of it is tolerated.
    tolerance_percent: float = Field(default=0.0, ge=0.0, le=1000.0, allow_inf_nan=False)


class OverBudget(ProjectRule[BudgetThresholds]):
    id = "over_budget"
    title = Words(en="Spending over budget", zh="支出超预算")
    explanation = Words(
        en="The contract with its change orders, or the payments made, exceed the project's "
        "approved budget.",
        zh="合同金额（含设计变更）或已付款项超过项目批准预算。",
    )
    severity: Severity = "serious"
    thresholds = BudgetThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: BudgetThresholds, at: datetime
    ) -> Iterator[Finding]:
        budget = s.project.budget_fen
        limit = budget + budget * thresholds.tolerance_percent / 100
        committed, paid = s.contract_total_fen(), s.paid_fen()
        spent = max(committed, paid)
        if spent <= limit:
            return
        share, tolerance = percent(spent, budget), thresholds.tolerance_percent
        yield Finding(
            en=f"Project {s.code} has a budget of {cny(budget)} CNY; the contract with its change "
            f"orders comes to {cny(committed)} CNY and {cny(paid)} CNY has been paid: {share}% "
            f"of the budget (tolerance {tolerance}%).",
            zh=f"项目 {s.code} 预算 {cny(budget)} 元，合同（含变更）{cny(committed)} 元，已付 "
            f"{cny(paid)} 元，达预算的 {share}%（允许超出 {tolerance}%）。",
            figures={
                "budget_fen": budget,
                "contract_total_fen": committed,
                "paid_fen": paid,
                "percent_of_budget": share,
            },
            evidence=[s.registered.ref, *_crossing(s, limit)],
        )


def _crossing(s: ProjectSnapshot, limit: float) -> list[RecordRef]:
    """The money records (contract, change orders, payments, in log order) up to the first that
    took the contract total or the payments over ``limit``: the id stays as later records come."""
    money: list[Party | Money] = [*s.of_kind("contract"), *s.change_orders, *s.payments]
    money.sort(key=lambda m: m.event.ref)
    totals = {"contract": 0, "change_order": 0, "payment": 0}
    refs = []
    for m in money:
        kind = m.event.ref.kind
        amount = m.amount_fen or 0
        totals[kind] = amount if kind == "contract" else totals[kind] + amount
        refs.append(m.event.ref)
        if max(totals["contract"] + totals["change_order"], totals["payment"]) > limit:
            break
    return refs
