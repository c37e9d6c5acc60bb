"""bidder_change: the organisation on the execution side changes after the award."""

from notary.oversight import RULES, RecordRef
from notary.oversight.rules.bidder_change import BidderThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["bidder_change"]


def awarded(log: Log, org: str, at: float) -> list[RecordRef]:
    return [
        log.add("XQ-1", "award", day(at), {"organisation": org, "amount_fen": 1}),
        log.add(
            "XQ-1",
            "power_assignment",
            day(at),
            {"power": "execution", "organisation": org, "person": "p"},
        ),
        log.add("XQ-1", "contract", day(at + 1), {"amount_fen": 1}, org=org),
    ]


def test_one_party_throughout_is_no_change():
    log = Log()
    log.register("XQ-1")
    awarded(log, "org-a", 10)
    log.add(
        "XQ-1",
        "power_assignment",
        day(11),
        {"power": "supervision", "organisation": "org-s", "person": "q"},
    )
    assert RULE.evaluate(log.snapshots(), BidderThresholds(), AT) == ()


def test_a_new_award_to_another_party_raises_an_alert_on_the_records_up_to_it():
    log = Log()
    log.register("XQ-1")
    first = awarded(log, "org-a", 10)
    second = awarded(log, "org-b", 40)
    (alert,) = RULE.evaluate(log.snapshots(), BidderThresholds(), AT)
    assert list(alert.evidence) == [*first, second[0]]  # later records leave the id as it is
    assert alert.figures == {"changes": 1, "organisations": 2}
    assert "org-a → org-b" in alert.explanation.en


def test_changes_up_to_the_tolerance_pass():
    log = Log()
    log.register("XQ-1")
    awarded(log, "org-a", 10)
    awarded(log, "org-b", 40)
    assert RULE.evaluate(log.snapshots(), BidderThresholds(max_changes=1), AT) == ()
    awarded(log, "org-c", 70)
    assert len(RULE.evaluate(log.snapshots(), BidderThresholds(max_changes=1), AT)) == 1
