"""Oversight at the issue's scale on PostgreSQL: 100,000 lifecycle projects, 2,000,000 records.

The records come from the synthetic county (:mod:`scripts.synthetic_county`, seeded, with its
irregularities planted), cut at :data:`AT` (8 July: projects at every step, ~20 records each) and
copied, each copy under new project codes, record ids, photo digests and village names, into
:data:`COUNTIES` counties of the county's 15 townships (one county is ~5,000 projects). The copies
are interleaved in log order, as a real log interleaves its projects.

Population appends through the real log (``LogStore.append`` in batches of :data:`BATCH`) with
the lifecycle gate off: every record is valid by construction (the generator judged each with the
gate's own rules; the injected irregularities are the ones that came from outside). Each site
photo is indexed with the flags the generator raised for it, its matches moved into its copy. The
populated database is dumped to ``~/.cache/sunlight/bench/`` under :data:`VERSION`, so the next
run restores it with ``pg_restore`` (the app then brings its schema to the newest migration).

Figures, each beside a baseline from the same run on the same server:

- the dashboard for one county (``GET /v1/oversight/indicators?county=`` and ``/ranking``) on a
  warm server, and its cold first call; baseline: SQL counting that county's records by kind;
- a full run of all rules (``Oversight.run``, new alerts notarized): the first ever (every
  snapshot folded from the log and stored; one-time), cold after a restart (a new ``Oversight``
  over the same database: the stored snapshots loaded) and warm; baselines: ``COPY`` of every
  project record ordered by project (what a first run reads), and the rules alone on the
  snapshots in memory;
- export of every record (``export_lines``) against ``COPY ... TO STDOUT``;
- import of 5,000 registrations into the big log against ``COPY ... FROM STDIN``.

    python -m bench oversight                       # the issue's 100,000 projects
    python -m bench.bench_oversight --projects 10000
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from api.app import create_app
from api.context import AppContext
from api.service.export import Source, export_lines
from api.service.notary import Notary
from api.service.oversight import Oversight
from api.settings import Settings
from api.storage.photos import IndexedPhoto, PhotoIndex
from api.storage.projects import ProjectStore
from bench._util import figure, header
from bench.bench_interface import _copy_in_rate, _dsn, _import_rate, _notary, _setup_people
from notary.evidence.photos import Flag, PhotoEvidence, client_observation
from notary.oversight import LoggedRecord, evaluate
from notary.records import Record
from scripts.synthetic_county import generate
from scripts.synthetic_project import CST
from tests.support.postgres import PostgresServer, pg_bin_dir, running_postgres

VERSION = "oversight-2"
PROJECTS = 100_000
COUNTIES = 20
#: The bench's "now": the county's log cut here, and the rules run at it.
AT = datetime(2026, 7, 8, tzinfo=CST)
BATCH = 20_000
CACHE = Path.home() / ".cache" / "sunlight" / "bench"
#: Two characters each, 县 added: 西泉县, 东岭县, …
COUNTY_NAMES = tuple(
    f"{n[i : i + 2]}县"
    for n in ["西泉东岭南溪北川青山白河金台石桥柳塘桃江龙泉凤阳云溪松林梅岭竹山兰亭菊坪荷塘杏花"]
    for i in range(0, 40, 2)
)
ROUNDS = 5


def county_name(copy: int) -> str:
    return COUNTY_NAMES[copy % COUNTIES]


# --- population ---------------------------------------------------------------------------------


class Copier:
    """The template county's records before :data:`AT`, written as copy ``k`` of them."""

    def __init__(self, projects: int) -> None:
        county = generate()
        self.log = [
            logged
            for logged in county.log
            if datetime.fromisoformat(logged.record.received_at) < AT
        ]
        codes = sorted({str(logged.record.project) for logged in self.log})
        self.copies = -(-projects // len(codes))
        last = projects - (self.copies - 1) * len(codes)
        self.last_codes = set(codes[:last])
        #: (copy, template leaf) → the photo's (leaf index, record id) in the big log.
        self.photos: dict[tuple[int, int], tuple[int, str]] = {}

    def batches(self) -> Iterator[list[tuple[int, str, Record, LoggedRecord]]]:
        """``(copy, record id, record, template)`` in log order, in batches of :data:`BATCH`."""
        batch = []
        for logged in self.log:
            for k in range(self.copies):
                if k == self.copies - 1 and logged.record.project not in self.last_codes:
                    continue
                record_id = hashlib.sha256(f"bench {k} {logged.leaf_index}".encode()).hexdigest()
                batch.append((k, record_id[:32], self.record(k, logged.record), logged))
                if len(batch) == BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    @staticmethod
    def record(k: int, record: Record) -> Record:
        code = f"{record.project}.{k:03d}"
        update: dict[str, Any] = {"project": code}
        if record.kind == "project_registration":
            region = record.data["region"]
            village = f"{region['village']}{k // COUNTIES + 1}组"
            update["data"] = record.data | {
                "code": code,
                "name": f"{record.data['name']}.{k:03d}",
                "region": {"county": county_name(k), "township": region["township"]}
                | {"village": village},
            }
        if record.content is not None:
            sha = hashlib.sha256(f"{record.content.sha256}/{k}".encode()).hexdigest()
            update["content"] = record.content.model_copy(update={"sha256": sha})
        return record.model_copy(update=update)

    def photo(self, k: int, index: int, record_id: str, logged: LoggedRecord) -> IndexedPhoto:
        """The photo's index row: the generator's flags, their matches moved into copy ``k``."""
        self.photos[(k, logged.leaf_index)] = (index, record_id)
        record = logged.record
        assert record.content is not None
        evidence = PhotoEvidence(
            sha256=hashlib.sha256(f"{record.content.sha256}/{k}".encode()).hexdigest(),
            phash=int(record.content.sha256[:16], 16),
            client=client_observation(record.data),
        )
        flags = tuple(self._flag(k, f) for f in logged.flags)
        return IndexedPhoto(index, record_id, f"{record.project}.{k:03d}", evidence, flags)

    def _flag(self, k: int, flag: Flag) -> Flag:
        matches = flag.evidence.get("matches")
        if not matches:
            return flag
        moved = []
        for match in matches:
            leaf, record_id = self.photos[(k, match["leaf_index"])]
            project = f"{match['project']}.{k:03d}"
            moved.append(match | {"leaf_index": leaf, "record_id": record_id, "project": project})
        return flag.model_copy(update={"evidence": flag.evidence | {"matches": moved}})


def populate(notary: Notary, projects: int) -> int:
    """Append the copies; return the number of records appended."""
    copier = Copier(projects)
    index = PhotoIndex(notary.log.engine)
    appended = 0
    for batch in copier.batches():
        entries = notary.log.append([(record_id, record) for _, record_id, record, _ in batch])
        index.add(
            [
                copier.photo(k, entry.index, entry.record_id, logged)
                for (k, _, _, logged), entry in zip(batch, entries, strict=True)
                if logged.record.kind == "site_photo"
            ]
        )
        appended += len(entries)
    return appended


def _pg(server: PostgresServer, tool: str, *args: str) -> None:
    bin_dir = pg_bin_dir()
    assert bin_dir is not None
    where = ("-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres")
    subprocess.run([str(bin_dir / tool), *where, *args], check=True, capture_output=True)


def _dump_path(projects: int) -> Path:
    return CACHE / f"{VERSION}-{projects}.dump"


def load(server: PostgresServer, projects: int) -> str:
    """The populated database's URL: restored from the cache, or populated and then cached."""
    url = server.create_database("bench_oversight")
    dump = _dump_path(projects)
    start = time.perf_counter()
    if dump.exists():
        _pg(server, "pg_restore", "-d", "bench_oversight", "-j", "2", str(dump))
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            conn.execute("ANALYZE")  # a dump holds no planner statistics
        figure("restored the populated database from the cache", f"{_since(start):.1f} s")
        return url
    with _notary(url) as notary:
        records = populate(notary, projects)
        notary.log.analyze()
    seconds = _since(start)
    figure(f"populated {projects:,} projects, {records:,} records", f"{seconds:.1f} s")
    figure("  append rate (log, photo index, gate off)", f"{records / seconds:,.0f}/s")
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = dump.with_suffix(".partial")
    start = time.perf_counter()
    _pg(server, "pg_dump", "-Fc", "-Z", "1", "-f", str(partial), "bench_oversight")
    partial.rename(dump)
    figure(f"cached as {dump.name}", f"{_since(start):.1f} s")
    return url


# --- measurements -------------------------------------------------------------------------------


def _since(start: float) -> float:
    return time.perf_counter() - start


def _best(fn: Any, rounds: int = ROUNDS) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, _since(start))
    return best


def _missed(met: bool) -> str:
    return "" if met else " MISSED"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _versus(name: str, seconds: float, baseline: float, target_ms: float | None = None) -> None:
    note = f"{seconds / baseline:.1f}x the baseline"
    if target_ms is not None:
        note += f"; target < {target_ms:,.0f} ms{_missed(seconds * 1000 < target_ms)}"
    figure(name, _ms(seconds), note)


def dashboard(client: TestClient, ctx: AppContext, url: str) -> float:
    """The county's page on a warm server; returns the cold first call's time."""
    county = county_name(0)
    indicators = f"/v1/oversight/indicators?county={county}"
    start = time.perf_counter()
    response = client.get(indicators)
    cold = _since(start)
    assert response.status_code == 200, response.text
    assert response.json()["registered"] > 0
    codes = list(ctx.oversight().snapshots_in(county))
    query = "SELECT kind, count(*) FROM entries WHERE project = ANY(%s) GROUP BY kind"
    with psycopg.connect(_dsn(url)) as conn:
        baseline = _best(lambda: conn.execute(query, (codes,)).fetchall())
    figure(f"baseline: SQL count by kind of {county}'s {len(codes):,} projects", _ms(baseline))
    _versus("dashboard indicators, cold first call (every snapshot built)", cold, baseline)
    warm = _best(lambda: client.get(indicators))
    _versus("dashboard indicators of one county, warm", warm, baseline, 300)
    ranking = f"/v1/oversight/ranking?county={county}"
    assert client.get(ranking).status_code == 200
    _versus(
        "dashboard ranking of its townships, warm",
        _best(lambda: client.get(ranking)),
        baseline,
        300,
    )
    return cold


def rules(ctx: AppContext, url: str, build: float) -> None:
    """The first run ever (``build``: the dashboard's first call, which folded and stored every
    snapshot), a cold run after a restart (the snapshots loaded from the database), and warm."""
    query = (
        "COPY (SELECT project, idx, entry FROM entries WHERE project IS NOT NULL "
        "ORDER BY project, idx) TO STDOUT"
    )
    with psycopg.connect(_dsn(url)) as conn:
        start = time.perf_counter()
        with conn.cursor().copy(query) as copy:
            assert sum(len(block) for block in copy) > 0
        read = _since(start)
    figure("baseline: COPY of every project record, by project", f"{read:.1f} s")
    start = time.perf_counter()
    first = ctx.oversight().run(AT)
    built = build + _since(start)
    figure(
        "first full run ever, no stored snapshots: every project folded from the log and stored, "
        "then the run (one-time)",
        f"{built:.1f} s",
        f"{built / read:.1f}x the baseline; {first.projects:,} projects, {first.raised:,} alerts "
        f"raised, {len(first.notarized):,} notarized",
    )
    core = _best(lambda: evaluate(list(ctx.oversight().snapshots().values()), AT), 2)
    figure("baseline: the rules alone on the snapshots in memory", f"{core:.2f} s")
    # a restart: a new server's oversight over the same database, nothing in memory (the old
    # snapshots dropped, as a restart drops them: a heap twice as big slows the new ones down)
    ctx.overseer = None
    start = time.perf_counter()
    assert len(Oversight.open(ctx.notary, ctx.settings).snapshots()) == first.projects
    load = _since(start)
    figure(
        "  after a restart: the stored snapshots loaded",
        f"{load:.1f} s",
        f"{load / read:.1f}x the COPY",
    )
    oversight = ctx.overseer = Oversight.open(ctx.notary, ctx.settings)
    start = time.perf_counter()
    restarted = oversight.run(AT)
    cold = _since(start)
    assert not restarted.notarized and restarted.raised == first.raised
    figure(
        "full run of all rules, cold after a restart: stored snapshots loaded, then the run",
        f"{cold:.1f} s",
        f"{cold / read:.1f}x the COPY, {cold / core:.1f}x the rules alone; "
        f"target < 30 s{_missed(cold < 30)}",
    )
    start = time.perf_counter()
    again = oversight.run(AT)
    warm = _since(start)
    assert not again.notarized
    figure(
        "full run of all rules, warm",
        f"{warm:.2f} s",
        f"{warm / core:.2f}x the baseline; target < 30 s{_missed(warm < 30)}",
    )


def export(notary: Notary, url: str) -> None:
    records = notary.log.size
    query = "COPY (SELECT idx, record_id, leaf_hash, entry FROM entries ORDER BY idx) TO STDOUT"
    with psycopg.connect(_dsn(url)) as conn:
        start = time.perf_counter()
        with conn.cursor().copy(query) as copy:
            assert sum(len(block) for block in copy) > records * 100
        baseline = records / _since(start)
    figure(f"baseline: COPY ... TO STDOUT of {records:,} records", f"{baseline:,.0f}/s")
    engine = notary.log.engine
    source = Source(
        engine=engine, projects=ProjectStore(engine), bundle=lambda _: None, reader=None
    )
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in export_lines(source, "records", "jsonl", -1))
    rate = records / _since(start)
    assert size > records * 100
    figure(
        "export of every record, JSON Lines",
        f"{rate:,.0f}/s",
        f"{rate / baseline:.2f}x the baseline; target >= 50,000/s{_missed(rate >= 50_000)}",
    )


def imports(notary: Notary, url: str) -> None:
    _setup_people(notary)
    baseline = _copy_in_rate(url)
    figure("baseline: COPY ... FROM STDIN of 5,000 registrations", f"{baseline:,.0f}/s")
    rate = _import_rate(notary)
    figure(
        "import of 5,000 registrations into the big log",
        f"{rate:,.0f}/s",
        f"{rate / baseline:.2f}x the baseline; target >= 5,000/s{_missed(rate >= 5_000)}",
    )


def main(projects: int = PROJECTS) -> None:
    header(f"oversight on PostgreSQL: {projects:,} projects in {COUNTIES} counties")
    with running_postgres() as pg:
        if pg is None:
            figure("PostgreSQL", "not installed")
            return
        url = load(pg, projects)
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(Settings(data_dir=Path(tmp), database_url=url), run_anchorer=False)
            ctx: AppContext = app.state.ctx
            try:
                rules(ctx, url, dashboard(TestClient(app), ctx, url))
                export(ctx.notary, url)
                imports(ctx.notary, url)
            finally:
                ctx.notary.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=PROJECTS)
    main(parser.parse_args().projects)
