"""An alert: what a rule found, on which records, under which thresholds — and its stable id.

An alert is notarized as a record of kind ``alert`` (``project`` and ``stage`` null: the projects it
concerns are in its subject) whose ``data`` is :meth:`Alert.record_data`, format
``sunlight-alert/1``. Its ``id`` is SHA-256 over the RFC 8785 canonical JSON of
``{"type": "sunlight-alert/1", "rule", "subject", "evidence", "evidence_count"}`` (evidence as
``[leaf_index, record_id]`` pairs), with ``"source"`` added when the alert has one: the same
finding on the same records has the same id however often, and with whatever thresholds, the
rules run, so the server notarizes it once; anyone can recompute it from the record
(:func:`parse_alert_record` does, and refuses a mismatch).

An alert found in an imported file rather than in the log (a payment that does not match its
request, :func:`notary.exchange.payment_alert`) names that file's row as its ``source``: it tells
apart two findings on the same records (two rows paying one request), and stands for the
evidence when the log holds none (a payment whose request does not exist).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

from notary.errors import RecordError, VerificationError
from notary.oversight.snapshot import RecordRef
from notary.records import Identifier, ProjectCode, canonical_json, first_problem

__all__ = [
    "ALERT_FORMAT",
    "ALERT_KIND",
    "MAX_EVIDENCE",
    "MAX_SUBJECT_PROJECTS",
    "Alert",
    "AlertIdMismatchError",
    "AlertSource",
    "Figure",
    "Severity",
    "Subject",
    "Words",
    "parse_alert_record",
]

ALERT_FORMAT: Literal["sunlight-alert/1"] = "sunlight-alert/1"
#: The record kind alerts are filed under; only the server files it.
ALERT_KIND = "alert"
#: An alert lists at most this many records (the first by leaf index) and says how many there were,
#: so its record stays far below the log's 64 KiB bound on ``data``.
MAX_EVIDENCE = 200
#: An alert names at most this many projects in its subject.
MAX_SUBJECT_PROJECTS = 200

Severity = Literal["notice", "warning", "serious"]
Place = Annotated[str, Field(min_length=1, max_length=64)]
Figure = StrictInt | StrictFloat | Annotated[str, Field(max_length=200)] | None

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Words(BaseModel):
    """The same words in English and Chinese."""

    model_config = _FROZEN

    en: str = Field(min_length=1, max_length=2000)
    zh: str = Field(min_length=1, max_length=2000)


class Subject(BaseModel):
    """Whom an alert is about: projects (sorted), and/or an organisation in a county/township."""

    model_config = _FROZEN

    projects: tuple[ProjectCode, ...] = Field(default=(), max_length=MAX_SUBJECT_PROJECTS)
    organisation: Identifier | None = None
    county: Place | None = None
    township: Place | None = None

    @classmethod
    def of_projects(cls, codes: Iterable[str | None]) -> Subject:
        """The projects, sorted, the first :data:`MAX_SUBJECT_PROJECTS` of them (the evidence
        count says how large the finding is)."""
        return cls(
            projects=tuple(sorted({c for c in codes if c is not None}))[:MAX_SUBJECT_PROJECTS]
        )


class AlertSource(BaseModel):
    """The row of an imported file an alert was found in: the file's SHA-256 and the row, numbered
    as a spreadsheet numbers it (the header is row 1)."""

    model_config = _FROZEN

    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    row: StrictInt = Field(ge=2)


class AlertIdMismatchError(VerificationError):
    """An alert record's id is not the hash of what it says: it was altered after it was made."""

    code = "alert_id_mismatch"


class Alert(BaseModel):
    """One finding of one rule. Build it with :meth:`raise_`; read ``id`` for its stable id."""

    model_config = _FROZEN

    format: Literal["sunlight-alert/1"] = ALERT_FORMAT
    rule: Identifier
    severity: Severity
    title: Words
    subject: Subject
    #: The finding in plain words, with its figures.
    explanation: Words
    #: The measured figures and the limits they broke, by name (fen, days, percent, counts).
    figures: dict[Identifier, Figure] = Field(max_length=32)
    #: The records the finding rests on; none only for an alert with a ``source``.
    evidence: tuple[RecordRef, ...] = Field(max_length=MAX_EVIDENCE)
    evidence_count: StrictInt = Field(ge=0)
    #: The rule's thresholds as configured when it fired.
    thresholds: dict[Identifier, Any] = Field(max_length=32)
    evaluated_at: AwareDatetime
    #: The imported file's row the finding is in, for an alert found in one (part of the id).
    source: AlertSource | None = None

    @model_validator(mode="after")
    def _rests_on_something(self) -> Alert:
        if not self.evidence and self.source is None:
            raise ValueError("an alert rests on evidence in the log, or names its source")
        if self.evidence_count < len(self.evidence):
            raise ValueError("evidence_count is less than the evidence listed")
        return self

    @classmethod
    def raise_(
        cls,
        *,
        rule: str,
        severity: Severity,
        title: Words,
        subject: Subject,
        explanation: Words,
        figures: Mapping[str, Figure],
        evidence: Iterable[RecordRef],
        thresholds: BaseModel | None,
        at: datetime,
        source: AlertSource | None = None,
    ) -> Alert:
        """An alert with its evidence deduplicated, sorted by leaf index and cut to
        :data:`MAX_EVIDENCE` (``evidence_count`` keeps the full number); ``thresholds`` None for a
        finding that has none."""
        refs = sorted(set(evidence))
        return cls(
            rule=rule,
            severity=severity,
            title=title,
            subject=subject,
            explanation=explanation,
            figures=dict(figures),
            evidence=tuple(refs[:MAX_EVIDENCE]),
            evidence_count=len(refs),
            thresholds={} if thresholds is None else thresholds.model_dump(mode="json"),
            evaluated_at=at,
            source=source,
        )

    @property
    def id(self) -> str:
        """SHA-256 (hex) of the canonical ``{type, rule, subject, evidence, evidence_count}`` and
        ``source`` when there is one."""
        return _alert_id(self)

    def record_data(self) -> dict[str, Any]:
        """The ``data`` of the ``alert`` record that notarizes this alert: every field (``source``
        only when there is one), and ``id``."""
        unset = {"source"} if self.source is None else set()
        return {"id": self.id, **self.model_dump(mode="json", exclude=unset)}


def _alert_id(alert: Alert) -> str:
    identity = {
        "type": ALERT_FORMAT,
        "rule": alert.rule,
        "subject": alert.subject.model_dump(mode="json"),
        "evidence": [[r.leaf_index, r.record_id] for r in alert.evidence],
        "evidence_count": alert.evidence_count,
    }
    if alert.source is not None:
        identity["source"] = alert.source.model_dump(mode="json")
    return hashlib.sha256(canonical_json(identity)).hexdigest()


def parse_alert_record(data: Mapping[str, Any]) -> Alert:
    """The alert an ``alert`` record's ``data`` holds. Raises :class:`RecordError` naming the
    field if it is malformed, :class:`AlertIdMismatchError` if its ``id`` is not its own."""
    body = dict(data)
    claimed = body.pop("id", None)
    try:
        alert = Alert.model_validate(body)
    except ValidationError as e:
        where, msg = first_problem(e, "data")
        raise RecordError(msg, field=f"data.{where}") from e
    if claimed != alert.id:
        raise AlertIdMismatchError(
            f"the alert's id {claimed!r} is not the hash of its rule, subject and evidence "
            f"({alert.id}): the record was altered after the alert was raised"
        )
    return alert
