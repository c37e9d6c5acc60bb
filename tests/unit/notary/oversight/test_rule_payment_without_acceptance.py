"""payment_without_acceptance: money paid before the acceptance certificate, beyond an advance."""

from notary.oversight import RULES, RecordRef
from notary.oversight.rules.payment_without_acceptance import AdvanceThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["payment_without_acceptance"]


def project(*, accepted_on: float | None) -> tuple[Log, list[RecordRef]]:
    log = Log()
    log.register("XQ-1")
    log.add("XQ-1", "contract", day(10), {"amount_fen": 20_000_000})
    refs = [log.add("XQ-1", "payment", day(20), {"amount_fen": 2_000_000})]
    if accepted_on is not None:
        log.add("XQ-1", "acceptance_certificate", day(accepted_on))
    refs.append(log.add("XQ-1", "payment", day(80), {"amount_fen": 18_000_000}))
    return log, refs


def test_a_payment_before_acceptance_raises_an_alert_on_that_payment():
    log, refs = project(accepted_on=60)
    (alert,) = RULE.evaluate(log.snapshots(), AdvanceThresholds(), AT)
    assert list(alert.evidence) == refs[:1]  # not the payment after the acceptance
    assert alert.figures == {
        "paid_before_acceptance_fen": 2_000_000,
        "contract_total_fen": 20_000_000,
    }


def test_payments_with_no_acceptance_at_all_are_all_early():
    log, refs = project(accepted_on=None)
    (alert,) = RULE.evaluate(log.snapshots(), AdvanceThresholds(advance_percent=50), AT)
    assert list(alert.evidence) == refs
    assert "before any acceptance" in alert.explanation.en


def test_an_advance_up_to_the_allowed_share_passes():
    log, _ = project(accepted_on=60)
    assert RULE.evaluate(log.snapshots(), AdvanceThresholds(advance_percent=10), AT) == ()
    assert len(RULE.evaluate(log.snapshots(), AdvanceThresholds(advance_percent=9.99), AT)) == 1


def test_payments_after_acceptance_pass():
    log, _ = project(accepted_on=15)
    assert RULE.evaluate(log.snapshots(), AdvanceThresholds(), AT) == ()
