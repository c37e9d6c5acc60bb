"""over_budget: the contract with its change orders, or the payments, over the budget."""

from notary.oversight import RULES, RecordRef
from notary.oversight.rules.over_budget import BudgetThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["over_budget"]


def project(*payments: int) -> tuple[Log, list[RecordRef]]:
    log = Log()
    refs = [log.register("XQ-1", budget_fen=30_000_000)]
    refs.append(log.add("XQ-1", "contract", day(10), {"amount_fen": 29_000_000}))
    refs.append(log.add("XQ-1", "change_order", day(20), {"amount_delta_fen": 1_000_000}))
    refs += [
        log.add("XQ-1", "payment", day(30 + i), {"amount_fen": p}) for i, p in enumerate(payments)
    ]
    return log, refs


def test_a_contract_with_changes_at_the_budget_exactly_is_not_over():
    log, _ = project(30_000_000)
    assert RULE.evaluate(log.snapshots(), BudgetThresholds(), AT) == ()


def test_payments_over_the_budget_raise_an_alert_up_to_the_payment_that_crossed():
    log, refs = project(20_000_000, 11_000_000, 500_000)
    (alert,) = RULE.evaluate(log.snapshots(), BudgetThresholds(), AT)
    # registration, contract, change order, and the two payments that took it over: not the third
    assert list(alert.evidence) == refs[:5]
    assert alert.figures["paid_fen"] == 31_500_000
    assert alert.figures["percent_of_budget"] == 105.0
    assert "315,000.00" in alert.explanation.en


def test_the_tolerance_is_inclusive():
    log, _ = project(31_500_000)
    assert RULE.evaluate(log.snapshots(), BudgetThresholds(tolerance_percent=5), AT) == ()
    assert len(RULE.evaluate(log.snapshots(), BudgetThresholds(tolerance_percent=4.9), AT)) == 1


def test_change_orders_over_the_budget_raise_it_too():
    log, refs = project()
    log.add("XQ-1", "change_order", day(25), {"amount_delta_fen": 1})
    (alert,) = RULE.evaluate(log.snapshots(), BudgetThresholds(), AT)
    assert alert.figures["contract_total_fen"] == 30_000_001
    assert len(alert.evidence) == 4 and list(alert.evidence[:3]) == refs
