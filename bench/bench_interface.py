"""The data interface on PostgreSQL: export of every record, and a bulk import of project
registrations, each against a baseline measured in the same run on the same server.

- Export: ``GET /v1/export/records`` as the service streams it (:func:`api.service.export.
  export_lines`, JSON Lines and CSV, every byte consumed), against psycopg's ``COPY (SELECT idx,
  record_id, leaf_hash, entry FROM entries ORDER BY idx) TO STDOUT`` of the same rows: the
  fastest the database hands them out. Target: >= 50,000 records/s.
- Import: ``sunlight import projects`` (:func:`api.service.imports.import_projects`: every row
  parsed and judged by the lifecycle gate, then all appended in one transaction, each verdict
  standing under the log lock while its project is unchanged; no receipts), against ``COPY ...
  FROM STDIN`` of the same CSV into a table of text columns: loading the bytes, with no checks
  and no log. Target: >= 5,000 rows/s.

Each figure is the best of five rounds, as the other benches take theirs: on a shared machine a
round can lose a fifth of its speed to other work.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from api.service.export import Format, Source, export_lines
from api.service.imports import import_projects
from api.service.notary import Notary
from api.settings import Settings
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from bench._util import figure, header
from notary.exchange import PROJECT_COLUMNS
from notary.records import Record
from tests.support.postgres import running_postgres

RECORDS = 100_000
BATCH = 5_000
ROWS = 5_000
ROUNDS = 5


def _fill(notary: Notary) -> None:
    """``RECORDS`` data-only records of a few hundred bytes, a tenth of them private."""
    for start in range(0, RECORDS, BATCH):
        notary.log.append(
            [
                (
                    f"{i:032x}",
                    Record(
                        kind="document",
                        data={"n": i, "note": "进度报告 progress report", "fen": i * 100},
                        submitter="bench",
                        received_at="2026-11-23T00:01:03Z",
                        **({"public": False} if i % 10 == 0 else {}),
                    ),
                )
                for i in range(start, min(start + BATCH, RECORDS))
            ]
        )


def _export_rate(notary: Notary, fmt: Format) -> float:
    engine = notary.log.engine
    source = Source(
        engine=engine,
        projects=ProjectStore(engine),
        bundle=lambda stored: None,
        reader=None,  # anyone: the private records are skipped
    )
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        lines = export_lines(source, "records", fmt, -1)
        size = sum(len(chunk) for chunk in lines)
        best = min(best, time.perf_counter() - start)
        assert size > RECORDS * 100
    return RECORDS / best


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _copy_out_rate(url: str) -> float:
    query = "COPY (SELECT idx, record_id, leaf_hash, entry FROM entries ORDER BY idx) TO STDOUT"
    best = float("inf")
    with psycopg.connect(_dsn(url)) as conn:
        for _ in range(ROUNDS):
            start = time.perf_counter()
            with conn.cursor().copy(query) as copy:
                size = sum(len(block) for block in copy)
            best = min(best, time.perf_counter() - start)
            assert size > RECORDS * 100
    return RECORDS / best


def _registrations(prefix: str) -> bytes:
    head = ",".join(PROJECT_COLUMNS)
    rows = (
        f"{prefix}-{i:05d},村道硬化 {i},西泉县,清河镇,李庄村,road,{20_000_000 + i},county fund,"
        f'30.27,120.15,300,2026-04-01,2026-06-30,"{{""length_m"": 100, ""width_m"": 4}}",p-head'
        for i in range(ROWS)
    )
    return ("\n".join([head, *rows]) + "\n").encode()


def _import_rate(notary: Notary) -> float:
    parties = PartyStore(notary.log.engine)
    best = float("inf")
    for round_ in range(ROUNDS):
        content = _registrations(f"B{round_}")
        start = time.perf_counter()
        result = import_projects(notary, parties, content, progress=lambda n: None)
        best = min(best, time.perf_counter() - start)
        assert result.records == ROWS
    return ROWS / best


def _copy_in_rate(url: str) -> float:
    columns = ", ".join(f"{c} text" for c in PROJECT_COLUMNS)
    best = float("inf")
    with psycopg.connect(_dsn(url)) as conn:
        for round_ in range(ROUNDS):
            content = _registrations(f"C{round_}")
            conn.execute("DROP TABLE IF EXISTS copy_baseline")
            conn.execute(f"CREATE TABLE copy_baseline ({columns})")
            start = time.perf_counter()
            with conn.cursor().copy("COPY copy_baseline FROM STDIN (FORMAT csv, HEADER)") as copy:
                copy.write(content)
            conn.commit()
            best = min(best, time.perf_counter() - start)
    return ROWS / best


@contextmanager
def _notary(url: str) -> Iterator[Notary]:
    with tempfile.TemporaryDirectory() as tmp:
        notary = Notary.open(Settings(data_dir=Path(tmp), database_url=url))
        try:
            yield notary
        finally:
            notary.close()


def _setup_people(notary: Notary) -> None:
    ProjectStore(notary.log.engine).create_organisation(
        "org-village", "李庄村委会", "village_committee", "西泉县/清河镇/李庄村"
    )
    PartyStore(notary.log.engine).create_party(
        "p-head",
        "村委会主任",
        "person",
        ("submitter",),
        organisation="org-village",
        lifecycle_roles=("village_committee_head",),
    )


def _ratio(name: str, rate: float, baseline: float, target: float) -> None:
    below = "" if rate >= target else "  BELOW TARGET"
    figure(name, f"{rate:,.0f}/s", f"target >= {target:,.0f}/s{below}")
    figure(f"  ratio to the baseline ({baseline:,.0f}/s)", f"{rate / baseline:.2f}x")


def main() -> None:
    header(f"data interface on PostgreSQL: export of {RECORDS:,} records, import of {ROWS:,} rows")
    with running_postgres() as pg:
        if pg is None:
            figure("PostgreSQL", "not installed")
            return
        url = pg.create_database("bench_interface")
        with _notary(url) as notary:
            _fill(notary)
            notary.log.analyze()
            copy_out = _copy_out_rate(url)
            figure("baseline: COPY ... TO STDOUT of the same rows", f"{copy_out:,.0f}/s")
            _ratio("export records, JSON Lines", _export_rate(notary, "jsonl"), copy_out, 50_000)
            _ratio("export records, CSV", _export_rate(notary, "csv"), copy_out, 50_000)
            _setup_people(notary)
            copy_in = _copy_in_rate(url)
            figure("baseline: COPY ... FROM STDIN of the same CSV", f"{copy_in:,.0f}/s")
            _ratio("import project registrations", _import_rate(notary), copy_in, 5_000)


if __name__ == "__main__":
    main()
