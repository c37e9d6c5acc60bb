# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""The data interface's import files, read and checked row by row (docs/data-interface.md).

Pure: CSV text in, typed rows or :class:`RowError` s out, each naming the file's row (the header
is row 1, as a spreadsheet numbers them) and the column. Nothing here touches the log: the service
appends only once every row passed (:mod:`api.service.imports`).

Also the alert a payment that does not match its request becomes (format ``sunlight-alert/1``,
rule ``payment.import_mismatch``), :func:`payment_alert`; and the escaping of a text cell that a
spreadsheet would run as a formula, :func:`escape_cell`, which the reading undoes
(:func:`unescape_cell`).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from notary.errors import NotaryError
from notary.lifecycle import LifecycleRefusal, Project
from notary.oversight.alert import Alert, AlertSource, Figure, Subject, Words
from notary.oversight.snapshot import LoggedRecord, RecordRef
from notary.records import Record

__all__ = [
    "FORMULA_START",
    "MAX_ROWS",
    "PAYMENT_COLUMNS",
    "PROJECT_COLUMNS",
    "ImportRefused",
    "MismatchReason",
    "PaymentLine",
    "ProjectLine",
    "RowError",
    "escape_cell",
    "mismatch_of",
    "payment_alert",
    "read_payments",
    "read_projects",
    "registration_error",
    "registration_problem",
    "unescape_cell",
]

#: One import holds at most this many rows (one transaction appends them all).
MAX_ROWS = 200_000
#: At most this many errors are reported (the rest are counted).
MAX_ERRORS = 100

PROJECT_COLUMNS = (
    "code",
    "name",
    "county",
    "township",
    "village",
    "category",
    "budget_fen",
    "funding_source",
    "site_lat",
    "site_lon",
    "site_radius_m",
    "planned_start",
    "planned_end",
    "details",
    "submitter",
)
PAYMENT_COLUMNS = ("project", "reference", "amount_fen", "paid_at", "reviewer", "voucher")
T = TypeVar("T")
_OPTIONAL = frozenset({"details", "voucher"})

#: What a spreadsheet starts a formula with (OWASP "CSV injection"), as a regular expression.
FORMULA_START = r"[=+\-@\t\r]"
#: A text a spreadsheet would read as a formula, after any quotes.
_FORMULA = re.compile("'*" + FORMULA_START)


def escape_cell(text: str) -> str:
    """A text cell as an export writes it: one ``'`` put before a text that begins with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return — or with quotes and then one of these, so
    that :func:`unescape_cell` gives back exactly the text. Numbers are not text cells."""
    return "'" + text if _FORMULA.match(text) else text


def unescape_cell(cell: str) -> str:
    """The text an escaped cell holds: one leading ``'`` taken off a cell that begins with
    ``'`` and, after any more quotes, ``=``, ``+``, ``-``, ``@``, a tab or a carriage return."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell, 1) else cell


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class ImportRefused(NotaryError):
    """An import file has rows that cannot be imported: nothing was appended. ``errors`` names
    each (the first :data:`MAX_ERRORS`); ``total`` counts them all."""

    code = "import_refused"

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors[:MAX_ERRORS]
        self.total = len(errors) if total is None else total
        more = (
            f" (and {self.total - len(self.errors)} more)" if self.total > len(self.errors) else ""
        )
        lines = "; ".join(str(e) for e in self.errors[:5])
        super().__init__(f"{self.total} rows refused, nothing imported: {lines}{more}")


class _Problem(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column, self.message = column, message


@dataclass(frozen=True, slots=True)
class ProjectLine:
    row: int
    submitter: str
    #: The registration's data (notary.lifecycle.Project without the owner), its columns read
    #: but not yet judged as a Project: the import's lifecycle gate does that, and a refusal is
    #: named by its column by :func:`registration_error`.
    registration: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PaymentLine:
    row: int
    project: str
    reference: str
    amount_fen: int
    paid_at: str
    reviewer: str
    voucher: str


def _rows(
    lines: Iterable[str], columns: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """``(row number, values or the row's error)`` of each data row, numbered as a spreadsheet
    numbers them (the header is row 1); a bad header is refused at once."""
    reader = csv.reader(lines, strict=True)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    except csv.Error as e:
        raise ImportRefused([RowError(1, "-", f"not CSV: {e}")]) from None
    missing = [c for c in columns if c not in header and c not in _OPTIONAL]
    unknown = [h for h in header if h not in columns]
    twice = [RowError(1, "-", "a column is named twice")] if len(set(header)) != len(header) else []
    if missing or unknown or twice:
        raise ImportRefused(
            [RowError(1, c, "required column missing") for c in missing]
            + [RowError(1, c, "unknown column") for c in unknown]
            + twice
        )
    row = 1
    try:
        for row, values in enumerate(reader, start=2):
            if row - 1 > MAX_ROWS:
                raise ImportRefused([RowError(row, "-", f"more than {MAX_ROWS} rows")])
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield row, RowError(row, "-", f"{len(values)} fields, not {len(header)}")
                continue
            yield row, dict(zip(header, values, strict=True))
    except csv.Error as e:
        raise ImportRefused([RowError(row + 1, "-", f"not CSV: {e}")]) from None


def _read(
    lines: Iterable[str], columns: tuple[str, ...], parse: Callable[[int, dict[str, str]], T]
) -> tuple[list[T], list[RowError]]:
    good: list[T] = []
    errors: list[RowError] = []
    for row, values in _rows(lines, columns):
        if isinstance(values, RowError):
            errors.append(values)
            continue
        try:
            good.append(parse(row, values))
        except _Problem as p:
            errors.append(RowError(row, p.column, p.message))
    return good, errors


def _cell(values: Mapping[str, str], column: str, *, required: bool = True) -> str:
    value = values.get(column, "").strip()
    if required and not value:
        raise _Problem(column, "empty")
    if "\x00" in value:
        raise _Problem(column, "holds a NUL character")
    return value


def _text(values: Mapping[str, str], column: str, *, required: bool = True) -> str:
    """A text column's value, a formula escape undone (:func:`unescape_cell`)."""
    return unescape_cell(_cell(values, column, required=required))


def _int(values: Mapping[str, str], column: str) -> int:
    text = _cell(values, column)
    if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 16:
        raise _Problem(column, "not an integer")
    return int(text)


def _float(values: Mapping[str, str], column: str) -> float:
    text = _cell(values, column)
    try:
        number = float(text)
    except ValueError:
        raise _Problem(column, "not a number") from None
    if not math.isfinite(number):
        raise _Problem(column, "not a number")
    return number


def _date(values: Mapping[str, str], column: str) -> str:
    text = _cell(values, column)
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else _instant(text)
    except ValueError:
        raise _Problem(column, "not a date (YYYY-MM-DD)") from None


def _instant(text: str) -> str:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError("no offset")
    return text


#: Where pydantic's location of a problem in :class:`Project` is in the file.
_SITE = {"lat": "site_lat", "lon": "site_lon", "radius_m": "site_radius_m"}


def _column_of(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "planned_end"  # the one check across fields: the dates' order
    if loc[0] == "region" and len(loc) > 1:
        return str(loc[1])
    if loc[0] == "site":
        return next((_SITE[str(p)] for p in loc if str(p) in _SITE), "site_lat")
    return str(loc[0]) if str(loc[0]) in PROJECT_COLUMNS else "code"


def _project(row: int, values: Mapping[str, str]) -> ProjectLine:
    details_text = _text(values, "details", required=False) or "{}"
    try:
        details = json.loads(details_text)
    except ValueError:
        raise _Problem("details", "not a JSON object") from None
    if not isinstance(details, dict):
        raise _Problem("details", "not a JSON object")
    registration = {
        "code": _text(values, "code"),
        "name": _text(values, "name"),
        "region": {c: _text(values, c) for c in ("county", "township", "village")},
        "category": _text(values, "category"),
        "budget_fen": _int(values, "budget_fen"),
        "funding_source": _text(values, "funding_source"),
        "site": {
            "shape": "circle",
            "center": {"lat": _float(values, "site_lat"), "lon": _float(values, "site_lon")},
            "radius_m": _float(values, "site_radius_m"),
        },
        "planned_start": _date(values, "planned_start"),
        "planned_end": _date(values, "planned_end"),
        "details": details,
    }
    return ProjectLine(row, _text(values, "submitter"), registration)


def read_projects(lines: Iterable[str]) -> tuple[list[ProjectLine], list[RowError]]:
    """The rows of a project registrations file whose columns read well, and an error for every
    other row (a code given twice included); a file whose header is wrong, or that is not CSV,
    raises :class:`ImportRefused`. Whether a row is a valid registration the import's lifecycle
    gate judges (:func:`registration_error` names the column it refuses)."""
    found, errors = _read(lines, PROJECT_COLUMNS, _project)
    seen: dict[str, int] = {}
    good = []
    for line in found:
        code = line.registration["code"]
        if code in seen:
            errors.append(RowError(line.row, "code", f"{code} is also in row {seen[code]}"))
        else:
            good.append(line)
        seen.setdefault(code, line.row)
    return good, sorted(errors, key=lambda e: e.row)


def _payment(row: int, values: Mapping[str, str]) -> PaymentLine:
    amount = _int(values, "amount_fen")
    if not 0 < amount <= 2**53 - 1:
        raise _Problem("amount_fen", "must be a positive amount in fen")
    fields = {c: _text(values, c) for c in ("project", "reference", "reviewer")}
    for column, value in fields.items():
        if len(value) > 128:
            raise _Problem(column, "longer than 128 characters")
    voucher = _text(values, "voucher", required=False)
    if len(voucher) > 128:
        raise _Problem("voucher", "longer than 128 characters")
    return PaymentLine(
        row=row,
        amount_fen=amount,
        paid_at=_date(values, "paid_at"),
        voucher=voucher,
        **fields,
    )


def read_payments(lines: Iterable[str]) -> tuple[list[PaymentLine], list[RowError]]:
    """The good rows of a finance system's payments file and the errors of the others (see
    :func:`read_projects`)."""
    return _read(lines, PAYMENT_COLUMNS, _payment)


#: Why a payment does not match its request.
MismatchReason = Literal["request_not_found", "project_differs", "amount_differs", "not_payable"]

_REASONS: dict[MismatchReason, tuple[str, str]] = {
    "request_not_found": (
        "no payment request has the reference {reference}",
        "找不到编号为 {reference} 的付款申请",
    ),
    "project_differs": (
        "payment request {reference} belongs to project {expected_project}, not {project}",
        "付款申请 {reference} 属于项目 {expected_project}，而非 {project}",
    ),
    "amount_differs": (
        "paid {amount_fen} fen but payment request {reference} asks {expected_amount_fen} fen",
        "实付 {amount_fen} 分，与付款申请 {reference} 的 {expected_amount_fen} 分不符",
    ),
    "not_payable": (
        "the payment of request {reference} is refused by the lifecycle: {detail}",
        "付款申请 {reference} 的支付不符合流程：{detail}",
    ),
}


def mismatch_of(line: PaymentLine, request: Record | None) -> dict[str, Any] | None:
    """How ``line`` fails to match the payment request its reference names (``request``: the
    record of that id, if any), as the evidence of an alert; None when it matches."""
    if request is None or request.kind != "payment_request":
        return {"reason": "request_not_found"}
    if request.project != line.project:
        return {"reason": "project_differs", "expected_project": request.project}
    expected = request.data.get("amount_fen")
    if expected != line.amount_fen:
        return {"reason": "amount_differs", "expected_amount_fen": expected}
    return None


#: The rule of the alert a mismatched payment becomes.
PAYMENT_RULE = "payment.import_mismatch"
_PAYMENT_TITLE = Words(en="Payment does not match its request", zh="付款与付款申请不符")
#: A mismatch's details, and the figures they become.
_FIGURES = {
    "expected_project": "expected_project",
    "expected_amount_fen": "expected_amount_fen",
    "rule": "lifecycle_rule",
    "detail": "detail",
}


def payment_alert(
    line: PaymentLine,
    mismatch: Mapping[str, Any],
    *,
    request: LoggedRecord | None,
    file_sha256: str,
    at: datetime,
) -> Alert:
    """The alert a mismatched payment becomes (docs/data-interface.md): about its project, resting
    on the payment request it names (``request``: the record of that id, if the log has one) and
    on its row of the file, with the payment's figures."""
    reason: MismatchReason = mismatch["reason"]
    figures: dict[str, Figure] = {
        "reason": reason,
        "project": line.project,
        "reference": line.reference,
        "amount_fen": line.amount_fen,
        "paid_at": line.paid_at,
        "voucher": line.voucher or None,
        "reviewer": line.reviewer,
        **{name: _figure(mismatch[key]) for key, name in _FIGURES.items() if key in mismatch},
    }
    words = {
        "detail": "",
        **mismatch,
        "project": line.project,
        "reference": line.reference,
        "amount_fen": line.amount_fen,
    }
    en, zh = _REASONS[reason]
    evidence = []
    if request is not None and request.record.kind == "payment_request":
        record = request.record
        evidence.append(
            RecordRef(request.leaf_index, request.record_id, record.project, record.kind)
        )
    return Alert.raise_(
        rule=PAYMENT_RULE,
        severity="warning",
        title=_PAYMENT_TITLE,
        subject=_subject_of(line.project),
        explanation=Words(en=en.format(**words), zh=zh.format(**words)),
        figures=figures,
        evidence=evidence,
        thresholds=None,
        at=at,
        source=AlertSource(file_sha256=file_sha256, row=line.row),
    )


def _figure(value: Any) -> Figure:
    """A mismatch's detail as a figure: a number or null as it is, anything else as text (cut to
    the 200 characters a figure may have)."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return str(value)[:200]


def _subject_of(project: str) -> Subject:
    """The project a payment names; nobody, for a text that is no project code."""
    try:
        return Subject.of_projects([project])
    except ValidationError:
        return Subject()


#: The column a lifecycle refusal of a registration is about.
_RULE_COLUMN = {
    "budget.over_ceiling": "budget_fen",
    "registration.missing_field": "details",
    "registration.unknown_category": "category",
    "project.already_registered": "code",
    "project.code_in_use": "code",
}


def registration_problem(line: ProjectLine) -> RowError | None:
    """The first field ``line``'s registration gets wrong as a :class:`~notary.lifecycle.Project`,
    named by its column (None: it is a valid one)."""
    try:
        Project.model_validate({**line.registration, "owner": line.submitter})
    except ValidationError as e:
        first = e.errors()[0]
        return RowError(line.row, _column_of(tuple(first["loc"])), first["msg"])
    return None


def registration_error(line: ProjectLine, refused: NotaryError) -> RowError:
    """A registration row the import refused — its record could not be made, or the lifecycle
    refused it — as a row error naming the column: the field the registration gets wrong
    (:func:`registration_problem`), else the column the lifecycle's rule is about, else
    ``details`` (what a record may not hold beyond the columns' checks: details too large, nested
    too deeply, or with text that is not Unicode)."""
    problem = registration_problem(line)
    if problem is not None:
        return problem
    if isinstance(refused, LifecycleRefusal):
        column = _RULE_COLUMN.get(refused.rule, "submitter")
        return RowError(line.row, column, f"{refused.rule}: {refused.message}")
    return RowError(line.row, "details", str(refused))
