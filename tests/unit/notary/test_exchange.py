"""Import files read row by row: every error names its row and column; nothing half-read."""

from __future__ import annotations

from notary.exchange import (
    PAYMENT_COLUMNS,
    PROJECT_COLUMNS,
    ImportRefused,
    PaymentLine,
    mismatch_of,
    payment_alert,
    read_payments,
    read_projects,
)
from notary.records import Record

HEADER = ",".join(PROJECT_COLUMNS)
GOOD = (
    "XQ-2026-0100,北涵洞,西泉县,清河镇,李庄村,road,35000000,county fund,30.27,120.15,300,"
    '2026-04-01,2026-06-30,"{""length_m"": 820, ""width_m"": 4.5}",p-village-head'
)


def refused(text: str, read=read_projects) -> list[str]:
    """The errors of a file: its rows', or the header's (which stops the reading)."""
    try:
        _, errors = read(text.splitlines())
    except ImportRefused as e:
        errors = e.errors
    assert errors
    return [str(x) for x in errors]


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
    alert = payment_alert(line, mismatch, "ab" * 32)
    assert alert["rule"] == "payment.import_mismatch" and alert["project"] == "XQ-1"
    assert alert["evidence"]["row"] == 2 and alert["evidence"]["expected_amount_fen"] == 200000
    assert "250000" in alert["message"] and "200000" in alert["message_zh"]
