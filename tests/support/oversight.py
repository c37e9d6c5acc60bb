"""A hand-made log for the oversight tests: projects registered and their records added by kind and
day, each with its leaf index, so a test says exactly what happened and which records an alert must
link to. Records are not judged by the lifecycle here: oversight reads what the log holds, including
what the gate would refuse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from notary.evidence.photos import Flag
from notary.oversight import LoggedRecord, ProjectSnapshot, RecordRef, snapshot_of
from notary.records import Record

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
#: Oversight runs at this time unless a test says otherwise.
AT = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after T0."""
    return T0 + timedelta(days=n)


class Log:
    """Records of several projects, in one log order (the order they are added)."""

    def __init__(self) -> None:
        self.projects: dict[str, list[LoggedRecord]] = {}
        self.size = 0

    def register(
        self,
        code: str,
        *,
        at: datetime = T0,
        township: str = "清河镇",
        village: str = "李庄村",
        category: str = "road",
        budget_fen: int = 30_000_000,
        planned: tuple[date, date] = (date(2026, 4, 1), date(2026, 6, 30)),
        owner: str = "org-village",
    ) -> RecordRef:
        data = {
            "code": code,
            "name": f"project {code}",
            "region": {"county": "西泉县", "township": township, "village": village},
            "category": category,
            "budget_fen": budget_fen,
            "funding_source": "county fund",
            "site": {"shape": "circle", "center": {"lat": 30.27, "lon": 120.15}, "radius_m": 300.0},
            "planned_start": planned[0].isoformat(),
            "planned_end": planned[1].isoformat(),
            "details": {"length_m": 800, "width_m": 4.5},
        }
        self.projects[code] = []
        return self.add(code, "project_registration", at, data, org=owner)

    def add(
        self,
        code: str,
        kind: str,
        at: datetime,
        data: dict[str, Any] | None = None,
        *,
        org: str = "org-any",
        flags: tuple[Flag, ...] = (),
    ) -> RecordRef:
        """Append a record of ``kind`` to project ``code`` at ``at``, acting for ``org``."""
        record = Record(
            project=code,
            stage="implementation",
            kind=kind,
            data={"actor": {"organisation": org, "role": "contractor"}, **(data or {})},
            submitter="p-any",
            received_at=at.isoformat().replace("+00:00", "Z"),
        )
        logged = LoggedRecord(self.size, f"rec-{self.size}", record, flags)
        self.projects[code].append(logged)
        self.size += 1
        return RecordRef(logged.leaf_index, logged.record_id, code, kind)

    def snapshot(self, code: str) -> ProjectSnapshot:
        return snapshot_of(self.projects[code])

    def snapshots(self) -> list[ProjectSnapshot]:
        return [snapshot_of(records) for records in self.projects.values()]
