"""Import files read row by row: every error names its row and column; nothing half-read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.errors import RecordError
from notary.exchange import (
    PAYMENT_COLUMNS,
    PROJECT_COLUMNS,
    ImportRefused,
    PaymentLine,
    escape_cell,
    mismatch_of,
    payment_alert,
    read_payments,
    read_projects,
    registration_error,
    registration_problem,
    unescape_cell,
)
from notary.lifecycle import LifecycleRefusal
from notary.oversight.alert import Alert, AlertIdMismatchError, AlertSource, parse_alert_record
from notary.oversight.snapshot import LoggedRecord, RecordRef
from notary.records import Record

HEADER = ",".join(PROJECT_COLUMNS)
GOOD = (
    "XQ-2026-0100,北涵洞,西泉县,清河镇,李庄村,road,35000000,county fund,30.27,120.15,300,"
    '2026-04-01,2026-06-30,"{""length_m"": 820, ""width_m"": 4.5}",p-village-head'
)


def refused(text: str, read=read_projects) -> list[str]:
    """The errors of a file, by row: its rows' as read and, of registrations, the problem each
    has as a Project (which the import's lifecycle gate refuses); or the header's (which stops
    the reading)."""
    try:
        found, errors = read(text.splitlines())
    except ImportRefused as e:
        found, errors = [], e.errors
    if read is read_projects:
        errors += [p for p in map(registration_problem, found) if p is not None]
    assert errors
    return [str(x) for x in sorted(errors, key=lambda e: e.row)]


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r a1{"), max_size=6) | st.text())
def test_an_escaped_cell_reads_back_as_the_same_text(text: str) -> None:
    cell = escape_cell(text)
    assert unescape_cell(cell) == text
    assert cell[:1] not in {"=", "+", "-", "@", "\t", "\r"}  # no spreadsheet runs it


def test_formula_cells_are_escaped_and_others_left_alone():
    assert escape_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [escape_cell(t) for t in ("+1", "-1", "@SUM(A1)", "\tx", "\rx")] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert escape_cell("'=x") == "''=x"  # a quote already there is kept through the round trip
    for text in ("北涵洞", "a=b", "'quoted'", "20000000", '{"a": 1}', ""):
        assert escape_cell(text) == text


def test_the_importer_undoes_the_escape_in_text_columns_only():
    name = '\'=HYPERLINK(""http://x"")'
    row = GOOD.replace(",北涵洞,", f',"{name}",').replace("county fund", "'-county fund")
    [line], [] = read_projects([HEADER, row])
    assert line.registration["name"] == '=HYPERLINK("http://x")'
    assert line.registration["funding_source"] == "-county fund"
    numbers = GOOD.replace(",35000000,", ",'35000000,")
    assert refused("\n".join([HEADER, numbers])) == ["row 2, column budget_fen: not an integer"]


def test_a_good_row_reads_as_a_registration():
    [line], [] = read_projects([HEADER, GOOD])
    assert line.row == 2 and line.submitter == "p-village-head"
    assert line.registration["budget_fen"] == 35_000_000
    assert line.registration["region"] == {
        "county": "西泉县",
        "township": "清河镇",
        "village": "李庄村",
    }
    assert line.registration["details"] == {"length_m": 820, "width_m": 4.5}


def test_every_bad_row_is_named_by_row_and_column():
    rows = [
        GOOD.replace("35000000", "35000000.5"),
        GOOD.replace("XQ-2026-0100", "XQ-2026-0101").replace(",30.27,", ",north,"),
        GOOD.replace("XQ-2026-0100", "XQ-2026-0102").replace("2026-06-30", "2026-03-01"),
        GOOD.replace("XQ-2026-0100", "XQ-2026-0103").replace(
            '"{""length_m"": 820, ""width_m"": 4.5}"', "[1]"
        ),
        GOOD.replace("XQ-2026-0100", "XQ-2026-0104").replace(",35000000,", ",0,"),
        GOOD.replace("XQ-2026-0100", "XQ-2026-0105").replace("2026-04-01", "1 April"),
    ]
    errors = refused("\n".join([HEADER, *rows]))
    assert [e.split(":")[0] for e in errors] == [
        "row 2, column budget_fen",
        "row 3, column site_lat",
        "row 4, column planned_end",
        "row 5, column details",
        "row 6, column budget_fen",
        "row 7, column planned_start",
    ]


def test_a_refused_registration_is_named_by_the_column_it_is_about():
    [line], [] = read_projects([HEADER, GOOD])
    ceiling = LifecycleRefusal("budget.over_ceiling", "over the ceiling", "超过限额")
    too_deep = RecordError("nested deeper than 16 levels", field="data.details")
    assert str(registration_error(line, ceiling)) == (
        "row 2, column budget_fen: budget.over_ceiling: over the ceiling"
    )
    assert str(registration_error(line, too_deep)).startswith(
        "row 2, column details: data.details: nested"
    )
    [late], [] = read_projects([HEADER, GOOD.replace("2026-06-30", "2026-03-01")])
    assert str(registration_error(late, ceiling)) == (  # the field it gets wrong comes first
        "row 2, column planned_end: Value error, planned_end is before planned_start"
    )


def test_a_code_twice_and_a_bad_header_are_refused():
    assert refused("\n".join([HEADER, GOOD, GOOD])) == [
        "row 3, column code: XQ-2026-0100 is also in row 2"
    ]
    assert refused(HEADER.replace("budget_fen", "budget") + "\n" + GOOD) == [
        "row 1, column budget_fen: required column missing",
        "row 1, column budget: unknown column",
    ]
    assert refused(HEADER + "\n" + GOOD + ",extra") == ["row 2, column -: 16 fields, not 15"]


def test_an_integer_column_names_the_problem_as_the_spec_says():
    errors = refused("\n".join([HEADER, GOOD.replace("35000000", "lots")]))
    assert errors == ["row 2, column budget_fen: not an integer"]


PAYMENTS = ",".join(PAYMENT_COLUMNS)


def test_payment_rows_are_checked_column_by_column():
    good = "XQ-1,0190aa,250000,2026-07-02,p-finance,V-17"
    [line], [] = read_payments([PAYMENTS, good])
    assert (line.amount_fen, line.paid_at, line.voucher) == (250000, "2026-07-02", "V-17")
    errors = refused(
        "\n".join(
            [
                PAYMENTS,
                "XQ-1,0190aa,-5,2026-07-02,p-finance,",
                "XQ-1,,100,2026-07-02,p-finance,",
                "XQ-1,0190aa,100,2026-07-02T10:00:00,p-finance,",
                "XQ-1,0190aa,1e3,2026-07-02,p-finance,",
            ]
        ),
        read_payments,
    )
    assert errors == [
        "row 2, column amount_fen: must be a positive amount in fen",
        "row 3, column reference: empty",
        "row 4, column paid_at: not a date (YYYY-MM-DD)",
        "row 5, column amount_fen: not an integer",
    ]


def test_a_mismatch_says_why_and_becomes_an_alert():
    line = PaymentLine(2, "XQ-1", "r1", 250000, "2026-07-02", "p-finance", "")
    request = Record(
        project="XQ-1",
        kind="payment_request",
        data={"amount_fen": 200000},
        submitter="c",
        received_at="2026-07-01T00:00:00Z",
    )
    assert mismatch_of(line, None) == {"reason": "request_not_found"}
    assert mismatch_of(line, request.model_copy(update={"kind": "bid"})) == {
        "reason": "request_not_found"
    }
    assert mismatch_of(line, request.model_copy(update={"project": "XQ-2"})) == {
        "reason": "project_differs",
        "expected_project": "XQ-2",
    }
    mismatch = mismatch_of(line, request)
    assert mismatch is not None
    assert mismatch == {"reason": "amount_differs", "expected_amount_fen": 200000}
    assert mismatch_of(line, request.model_copy(update={"data": {"amount_fen": 250000}})) is None
    alert = alert_of(line, mismatch, LoggedRecord(7, "r1", request))
    assert alert.format == "sunlight-alert/1" and alert.rule == "payment.import_mismatch"
    assert alert.subject.projects == ("XQ-1",)
    assert alert.evidence == (RecordRef(7, "r1", "XQ-1", "payment_request"),)
    assert alert.source == AlertSource(file_sha256="ab" * 32, row=2)
    assert alert.figures["expected_amount_fen"] == 200000 and alert.figures["reference"] == "r1"
    assert "250000" in alert.explanation.en and "200000" in alert.explanation.zh
    assert parse_alert_record(alert.record_data()) == alert


AMOUNT = {"reason": "amount_differs", "expected_amount_fen": 200000}
AT = datetime(2026, 7, 3, tzinfo=UTC)


def alert_of(
    line: PaymentLine, mismatch: dict[str, Any], request: LoggedRecord | None, at: datetime = AT
) -> Alert:
    return payment_alert(line, mismatch, request=request, file_sha256="ab" * 32, at=at)


LINE = PaymentLine(2, "XQ-1", "r1", 250000, "2026-07-02", "p-finance", "V-17")
REQUEST = LoggedRecord(
    7,
    "r1",
    Record(
        project="XQ-1",
        kind="payment_request",
        data={"amount_fen": 200000},
        submitter="c",
        received_at="2026-07-01T00:00:00Z",
    ),
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", {"file_sha256": "ab" * 32, "row": 3}),  # moved to another row of the file
        ("source", {"file_sha256": "cd" * 32, "row": 2}),  # moved to another file
        ("evidence", []),  # its request dropped
        ("subject", {"projects": ["XQ-2"]}),
    ],
)
def test_a_payment_alert_altered_after_it_was_filed_is_refused(field: str, value: Any) -> None:
    data = alert_of(LINE, AMOUNT, REQUEST)
    forged = {**data.record_data(), field: value}
    with pytest.raises(AlertIdMismatchError):
        parse_alert_record(forged)


def test_an_alert_without_evidence_must_name_its_source() -> None:
    data = alert_of(LINE, {"reason": "request_not_found"}, None)
    assert data.evidence == () and data.evidence_count == 0 and data.source is not None
    stripped = {k: v for k, v in data.record_data().items() if k != "source"}
    with pytest.raises(RecordError, match="names its source"):
        parse_alert_record(stripped)


def test_two_rows_on_one_request_are_two_alerts_and_the_row_of_a_rerun_the_same() -> None:
    first = alert_of(LINE, AMOUNT, REQUEST)
    other_row = replace(LINE, row=3)
    second = alert_of(other_row, {"reason": "not_payable"}, REQUEST)
    rerun = alert_of(LINE, AMOUNT, REQUEST, at=datetime(2026, 8, 1, tzinfo=UTC))
    assert first.id != second.id and first.id == rerun.id
    assert first.record_data()["source"] == {"file_sha256": "ab" * 32, "row": 2}


def test_a_not_payable_payment_names_the_refusal_and_a_bad_project_no_subject() -> None:
    refusal = {"reason": "not_payable", "rule": "payment.not_approved", "detail": "x" * 500}
    odd = replace(LINE, project="no such/code")
    alert = alert_of(odd, refusal, REQUEST)
    assert alert.subject.projects == () and alert.figures["project"] == "no such/code"
    assert alert.figures["lifecycle_rule"] == "payment.not_approved"
    assert alert.figures["detail"] == "x" * 200
    assert "refused by the lifecycle" in alert.explanation.en
    not_a_request = LoggedRecord(8, "r2", REQUEST.record.model_copy(update={"kind": "bid"}))
    missing = alert_of(LINE, {"reason": "request_not_found"}, not_a_request)
    assert missing.evidence == ()
