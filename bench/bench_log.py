"""Durable appends per second (SQLite and PostgreSQL) and proof latency in a 1,000,000-entry log."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from api.service.committer import Committer
from api.service.notary import Notary, new_record_id
from api.settings import Settings
from api.storage.blobs import LocalBlobStore
from api.storage.log import LogStore
from bench._util import OUT, figure, header, mib, python_child
from notary.records import Record
from notary.signing import NotaryKey
from tests.support.postgres import running_postgres

BIG = 1_000_000
NOW = "2026-11-23T00:01:03Z"


def _records(n: int, start: int = 0) -> list[tuple[str, Record]]:
    return [
        (new_record_id(), Record(submitter="bench", received_at=NOW, data={"i": start + i}))
        for i in range(n)
    ]


def _fsync_latency(directory: str) -> float:
    path = os.path.join(directory, "fsync.probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        start = time.perf_counter()
        for _ in range(50):
            os.write(fd, b"x" * 512)
            os.fsync(fd)
        return (time.perf_counter() - start) / 50
    finally:
        os.close(fd)
        os.unlink(path)


def _appends(store: LogStore, label: str, sequential: int = 500) -> None:
    recs = _records(sequential)
    start = time.perf_counter()
    for r in recs:
        store.append([r])
    rate = sequential / (time.perf_counter() - start)
    figure(f"{label}: single appends, 1 caller (1 commit each)", f"{rate:,.0f}/s")

    rate = _through_committer(store, n=16_000, callers=16)
    figure(
        f"{label}: single records, 16 concurrent callers through the Committer",
        f"{rate:,.0f}/s",
        "group commit on the event loop, as HTTP requests share it; receipts signed; "
        "target >= 2,000/s on SQLite",
    )

    recs = _records(50_000)
    start = time.perf_counter()
    for k in range(0, len(recs), 1000):
        store.append(recs[k : k + 1000])
    rate = len(recs) / (time.perf_counter() - start)
    figure(
        f"{label}: batched appends, 1,000 records/txn",
        f"{rate:,.0f}/s",
        "incl. JCS encoding; target >= 50,000/s on SQLite (set for pre-encoded entries)",
    )


def _through_committer(store: LogStore, *, n: int, callers: int) -> float:
    """Records per second of ``callers`` coroutines each submitting its records one at a time
    through :class:`Committer`, the one group commit (no files: no flush)."""
    notary = Notary(settings=Settings(data_dir=OUT), log=store, key=NotaryKey.from_seed(bytes(32)))
    records = [r for _, r in _records(n)]
    with tempfile.TemporaryDirectory() as unused:
        blobs = LocalBlobStore(Path(unused))
        committer = Committer(notary, blobs)

        async def caller(k: int) -> None:
            for r in records[k::callers]:
                await committer.submit(r, blob=False)

        async def main() -> None:
            await asyncio.gather(*(caller(k) for k in range(callers)))

        start = time.perf_counter()
        asyncio.run(main())
        elapsed = time.perf_counter() - start
        blobs.close()
    return n / elapsed


_PROOF_CHILD = """
import random, statistics, sys, time
from api.storage.log import LogStore
from api.service.notary import new_record_id
from notary.merkle import verify_inclusion
store = LogStore.open(sys.argv[1])
size, root = store.state()
rng = random.Random(7)
lat = []
for _ in range(3000):
    i = rng.randrange(size)
    t = time.perf_counter()
    proof = store.inclusion_proof(i, size)
    lat.append(time.perf_counter() - t)
    verify_inclusion(store.get_nodes([(0, i)])[0], i, size, proof, root)
lat.sort()
print(size, statistics.median(lat), lat[int(len(lat) * 0.99)])
"""


def _filled_sqlite(n: int) -> str:
    """A SQLite log of ``n`` entries under bench/out, built once and reused."""
    OUT.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{OUT / f'log-{n}.db'}"
    store = LogStore.open(url, sqlite_synchronous="NORMAL")
    try:
        have = store.size
        for k in range(have, n, 20_000):
            store.append(_records(min(20_000, n - k), k))
        store.analyze()
    finally:
        store.close()
    return url


def _proof_latency() -> None:
    for n in (10_000, BIG):
        url = _filled_sqlite(n)
        _, rss, out = python_child(_PROOF_CHILD, url)
        size, median, p99 = out.split()
        figure(
            f"inclusion proof, SQLite log of {int(size):,} entries",
            f"{float(median) * 1e3:.3f} ms",
            f"median (p99 {float(p99) * 1e3:.3f} ms; target < 1 ms); peak RSS {mib(rss)}",
        )


@contextmanager
def _sqlite_store() -> Iterator[LogStore]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "appends.db"
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"appends.db{suffix}").unlink(missing_ok=True)
    store = LogStore.open(f"sqlite:///{path}")  # synchronous=FULL: every commit is fsynced
    try:
        yield store
    finally:
        store.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)  # a fresh clone has no bench/out yet
    header("Durable appends into the persistent log")
    figure(
        "fsync latency of this disk (bench/out)",
        f"{_fsync_latency(str(OUT)) * 1e3:.2f} ms",
        "bounds one-commit-per-record rates",
    )
    with _sqlite_store() as store:
        _appends(store, "SQLite WAL, synchronous=FULL")
    with running_postgres() as pg:
        if pg is None:
            figure("PostgreSQL", "not installed")
        else:
            store = LogStore.open(pg.create_database("bench"))
            try:
                _appends(store, "PostgreSQL, synchronous_commit=on")
            finally:
                store.close()
    header("Inclusion proofs served from the persistent log (3,000 random leaves)")
    _proof_latency()
