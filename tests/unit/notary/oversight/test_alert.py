"""Alerts as records: an altered alert is refused, the id is stable, the record is a valid one."""

from datetime import date, timedelta

import pytest

from notary.errors import RecordError
from notary.oversight import (
    RULES,
    AlertIdMismatchError,
    Subject,
    Words,
    evaluate,
    load_config,
    parse_alert_record,
)
from notary.oversight.alert import MAX_EVIDENCE, Alert
from notary.oversight.rules.serious_delay import DelayThresholds
from notary.oversight.snapshot import RecordRef
from notary.records import Record
from tests.support.oversight import AT, Log


def delayed() -> Alert:
    log = Log()
    log.register("XQ-1", planned=(date(2026, 4, 1), date(2026, 6, 30)))
    (alert,) = evaluate(log.snapshots(), AT)
    assert alert.rule == "serious_delay"
    return alert


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rule", "over_budget"),
        ("subject", {"projects": ["XQ-2"]}),
        (
            "evidence",
            [{"leaf_index": 7, "record_id": "rec-7", "project": "XQ-1", "kind": "contract"}],
        ),
        ("evidence_count", 2),
    ],
)
def test_an_alert_altered_after_it_was_raised_is_refused(field, value):
    data = delayed().record_data()
    data[field] = value
    with pytest.raises(AlertIdMismatchError):
        parse_alert_record(data)


def test_a_forged_id_is_refused_and_a_true_one_recomputed():
    data = delayed().record_data()
    assert parse_alert_record(data) == delayed()
    with pytest.raises(AlertIdMismatchError):
        parse_alert_record({**data, "id": "0" * 64})
    with pytest.raises(RecordError) as e:
        parse_alert_record({**data, "extra": 1})
    assert e.value.field == "data.extra"


def test_the_id_is_the_finding_not_the_thresholds_nor_the_time():
    alert = delayed()
    log = Log()
    log.register("XQ-1", planned=(date(2026, 4, 1), date(2026, 6, 30)))
    config = load_config({"serious_delay": {"margin_days": 60}})
    (later,) = evaluate(log.snapshots(), AT + timedelta(days=3), config)
    assert later.thresholds == {"margin_days": 60} != alert.thresholds
    assert later.figures != alert.figures
    assert later.id == alert.id
    assert len(alert.id) == 64


def test_the_alert_record_is_a_valid_log_record():
    alert = delayed()
    record = Record(
        kind="alert",
        data=alert.record_data(),
        submitter="oversight",
        received_at="2027-01-01T00:00:00Z",
    )
    assert record.project is None and record.stage is None
    assert parse_alert_record(record.data).id == alert.id
    assert "source" not in record.data  # a rule's alert is found in the log, not in a file
    assert alert.title == RULES["serious_delay"].title
    assert "XQ-1" in alert.explanation.en and "XQ-1" in alert.explanation.zh


def test_evidence_is_sorted_deduplicated_and_cut_with_its_count():
    refs = [RecordRef(i, f"rec-{i}", "XQ-1", "payment") for i in range(MAX_EVIDENCE + 50, 0, -1)]
    alert = Alert.raise_(
        rule="over_budget",
        severity="serious",
        title=Words(en="t", zh="t"),
        subject=Subject.of_projects(["XQ-1", "XQ-1", None]),
        explanation=Words(en="e", zh="e"),
        figures={},
        evidence=[*refs, refs[0]],
        thresholds=DelayThresholds(),
        at=AT,
    )
    assert alert.subject.projects == ("XQ-1",)
    assert alert.evidence_count == MAX_EVIDENCE + 50
    assert [r.leaf_index for r in alert.evidence] == list(range(1, MAX_EVIDENCE + 1))
    assert (
        len(
            Record(
                kind="alert",
                data=alert.record_data(),
                submitter="o",
                received_at="2027-01-01T00:00:00Z",
            ).canonical()
        )
        < 64 * 1024
    )
