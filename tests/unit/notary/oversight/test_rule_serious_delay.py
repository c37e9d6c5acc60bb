"""serious_delay: past the planned end by more than the margin, with no completion."""

from datetime import date

from notary.oversight import RULES, RecordRef
from notary.oversight.rules.serious_delay import DelayThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["serious_delay"]
#: From the planned end (30 June) to AT's date (31 December).
OVERDUE = (AT.date() - date(2026, 6, 30)).days


def project(*, completed: bool) -> tuple[Log, list[RecordRef]]:
    log = Log()
    refs = [log.register("XQ-1", planned=(date(2026, 4, 1), date(2026, 6, 30)))]
    log.add("XQ-1", "progress_report", day(30), {"percent": 40})
    refs.append(log.add("XQ-1", "contract", day(20), {"amount_fen": 1}, org="org-builder"))
    if completed:
        log.add("XQ-1", "completion", day(200))
    return log, refs


def test_a_project_past_the_margin_without_completion_raises_an_alert_on_its_records():
    log, refs = project(completed=False)
    (alert,) = RULE.evaluate(log.snapshots(), DelayThresholds(margin_days=OVERDUE - 1), AT)
    assert alert.subject.projects == ("XQ-1",)
    assert alert.figures["overdue_days"] == OVERDUE
    assert list(alert.evidence) == refs  # the registration (planned end) and the contract
    assert alert.severity == "serious"
    assert f"{OVERDUE} days late" in alert.explanation.en


def test_exactly_the_margin_late_is_not_a_serious_delay():
    log, _ = project(completed=False)
    assert RULE.evaluate(log.snapshots(), DelayThresholds(margin_days=OVERDUE), AT) == ()


def test_a_completed_project_is_not_delayed_however_late():
    log, _ = project(completed=True)
    assert RULE.evaluate(log.snapshots(), DelayThresholds(margin_days=0), AT) == ()
