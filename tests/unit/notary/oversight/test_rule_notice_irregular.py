"""notice_irregular: the public notice late, short or missing."""

from notary.oversight import RULES, RecordRef
from notary.oversight.rules.notice_irregular import NoticeThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["notice_irregular"]


def notice(published: float | None, closed: float | None) -> tuple[Log, list[RecordRef]]:
    log = Log()
    log.register("XQ-1")
    refs = [log.add("XQ-1", "approval", day(10))]
    if published is not None:
        refs.append(log.add("XQ-1", "notice_published", day(10 + published)))
    if closed is not None:
        refs.append(log.add("XQ-1", "notice_closed", day(10 + closed)))
    return log, refs


def issues(log: Log, **thresholds: float) -> list[tuple[object, list[RecordRef]]]:
    alerts = RULE.evaluate(log.snapshots(), NoticeThresholds(**thresholds), AT)
    return [(a.figures["issue"], list(a.evidence)) for a in alerts]


def test_a_notice_in_time_and_long_enough_passes():
    log, _ = notice(7, 12)  # published on the 7th day, up for exactly 5 days
    assert issues(log) == []


def test_a_notice_published_late_raises_an_alert_on_its_approval():
    log, refs = notice(7.01, 13)
    assert issues(log) == [("late", refs[:1])]
    assert issues(log, max_days_to_publish=7.01) == []


def test_a_notice_never_published_is_late_while_it_waits():
    log, refs = notice(None, None)
    assert issues(log) == [("late", refs)]


def test_a_short_notice_raises_an_alert_on_its_publication_and_close():
    log, refs = notice(1, 5.9)
    assert issues(log) == [("short", refs[1:])]
    assert issues(log, min_days=4.9) == []


def test_a_notice_closed_unpublished_is_missing():
    log, refs = notice(None, 6)
    assert issues(log) == [("missing", refs[1:])]


def test_works_given_out_with_no_notice_is_missing():
    log = Log()
    log.register("XQ-1")
    award = log.add("XQ-1", "award", day(20), {"organisation": "org-a", "amount_fen": 1})
    log.add("XQ-1", "contract", day(21), {"amount_fen": 1}, org="org-a")
    assert issues(log) == [("missing", [award])]
