"""acceptance_before_completion: a certificate before the completion, or too soon after it."""

from notary.oversight import RULES
from notary.oversight.rules.acceptance_before_completion import AcceptanceThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["acceptance_before_completion"]


def test_a_certificate_before_the_completion_raises_an_alert_on_the_certificate_alone():
    log = Log()
    log.register("XQ-1")
    certificate = log.add("XQ-1", "acceptance_certificate", day(50))
    log.add("XQ-1", "completion", day(60))
    log.add("XQ-1", "acceptance_certificate", day(62))
    (alert,) = RULE.evaluate(log.snapshots(), AcceptanceThresholds(), AT)
    # the completion came later: it is not evidence, so the id does not change when it comes
    assert list(alert.evidence) == [certificate]
    assert alert.figures == {"hours_after_completion": None}


def test_the_minimum_time_after_completion_is_inclusive():
    log = Log()
    log.register("XQ-1")
    completion = log.add("XQ-1", "completion", day(60))
    certificate = log.add("XQ-1", "acceptance_certificate", day(63))
    assert RULE.evaluate(log.snapshots(), AcceptanceThresholds(), AT) == ()
    assert (
        RULE.evaluate(log.snapshots(), AcceptanceThresholds(min_days_after_completion=3), AT) == ()
    )
    (alert,) = RULE.evaluate(
        log.snapshots(), AcceptanceThresholds(min_days_after_completion=3.5), AT
    )
    assert list(alert.evidence) == [completion, certificate]
    assert alert.figures == {"hours_after_completion": 72.0}


def test_no_certificate_no_alert():
    log = Log()
    log.register("XQ-1")
    log.add("XQ-1", "completion", day(60))
    assert (
        RULE.evaluate(log.snapshots(), AcceptanceThresholds(min_days_after_completion=30), AT) == ()
    )
