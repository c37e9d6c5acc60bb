"""PostgreSQL restarted under 8 writer threads appending through ``Notary`` (half of them through
the group commit of its ``Committer``): while it is down every writer sees a clear
:class:`LogError` (never a driver or SQLAlchemy exception), retries, and after recovery the log
holds indices exactly 0..n-1 with every acknowledged record as acknowledged; the audit passes."""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from anchors import open_reader
from api.service.audit import audit_log
from api.service.committer import Committer
from api.service.notary import Accepted, Notary
from api.settings import Settings
from api.storage.blobs import LocalBlobStore
from notary.errors import LogError
from notary.records import Record
from tests.conftest import require
from tests.faults.load import CachedRoots, Writers, check_proved, check_stored, duplicates
from tests.support.postgres import running_postgres
from tests.support.server import SunlightServer, cli

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

WRITERS = 8
DOWN_S = 2.0


@dataclass(frozen=True)
class _Ack:
    id: str
    index: int
    leaf_hash: bytes


class _GroupCommit:
    """The committer on an event loop of its own, for writer threads: what HTTP requests share."""

    def __init__(self, notary: Notary, blobs: LocalBlobStore) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._blobs = blobs
        self._committer = Committer(notary, blobs)

    def submit(self, record: Record) -> Accepted:
        coro = self._committer.submit(record, blob=False)
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._blobs.close()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restart_under_8_writers_only_log_errors_and_nothing_lost(
    tmp_path: Path, record_property: Callable[[str, object], None], mode: str
) -> None:
    """``fast``: a clean restart (sessions terminated, checkpoint written); ``immediate``: the
    server process killed as in a crash, recovered from its WAL at start."""
    with running_postgres() as pg:
        require(pg is not None, "PostgreSQL")
        assert pg is not None
        url = pg.create_database("faults")
        notary = Notary.open(Settings(data_dir=tmp_path / "data", database_url=url))
        group = _GroupCommit(notary, LocalBlobStore(tmp_path / "data" / "blobs"))
        acked: list[_Ack] = []
        log_errors: Counter[str] = Counter()
        others: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(t: int) -> None:
            seq = 0
            last: _Ack | None = None
            while not stop.is_set():
                try:
                    if last is not None:  # reads fail as cleanly as appends
                        assert notary.log.get(last.id).index == last.index
                        notary.log.state()
                    draft = {"submitter": f"w{t}", "kind": "document", "data": {"t": t, "s": seq}}
                    record = Record.model_validate({**draft, "received_at": notary.clock()})
                    if t % 2:  # group commit with the other threads
                        a = group.submit(record)
                    else:  # one transaction per call
                        [a] = notary.submit([record])
                    last = _Ack(a.record_id, a.entry.index, a.entry.leaf_hash)
                    with lock:
                        acked.append(last)
                    seq += 1
                except LogError as e:
                    with lock:
                        log_errors[str(e).split(":")[0]] += 1
                    stop.wait(0.05)
                except Exception:  # any other type escaping is the failure tested
                    with lock:
                        others.append(traceback.format_exc())
                    stop.wait(0.05)

        threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(WRITERS)]
        for th in threads:
            th.start()
        try:
            time.sleep(1.5)
            before = len(acked)
            assert before > 0, "nothing was acknowledged before the restart"
            pg.stop(mode)  # terminates every session, as a restart, failover or crash does
            time.sleep(0.2)  # a writer between its commit and its list append
            down = len(acked)
            time.sleep(DOWN_S)
            during = len(acked)
            errors_down = sum(log_errors.values())
            pg.start()
            restarted = len(acked)
            deadline = time.monotonic() + 60
            while len(acked) < restarted + 200:
                assert time.monotonic() < deadline, "writers did not recover after the restart"
                time.sleep(0.1)
        finally:
            stop.set()
            for th in threads:
                th.join(60)
            group.close()
        assert not any(th.is_alive() for th in threads)
        assert not others, f"{len(others)} non-LogError exceptions escaped:\n{others[0]}"
        assert errors_down > 0, "no writer noticed the database going away"
        assert during == down, f"{during - down} appends acknowledged while the server was down"

        size = notary.log.size
        indices = [e.index for e in notary.log.iter_entries()]
        assert indices == list(range(size)), "indices are not exactly 0..n-1"
        assert len({a.index for a in acked}) == len(acked), "an index acknowledged twice"
        lost = [a for a in acked if notary.log.get(a.id).index != a.index]
        moved = [a for a in acked if notary.log.get(a.id).leaf_hash != a.leaf_hash]
        assert not lost and not moved, (lost[:3], moved[:3])
        report = audit_log(notary.log, public_key=notary.key.public_key)
        assert report.ok, [str(f) for f in report.findings[:5]]
        notary.close()

    figures = {
        "stop": mode,
        "writers": WRITERS,
        "acknowledged": len(acked),
        "log_size": size,
        "committed_but_unacknowledged": size - len(acked),
        "lost": 0,
        "log_errors_seen": dict(log_errors),
        "down_s": DOWN_S,
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\nPostgreSQL restart under load: {figures}")


def test_postgres_restart_under_sunlight_serve_clear_503s_and_anchoring_resumes(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """The same restart under ``sunlight serve`` (8 HTTP writers, background anchorer every
    second): while the database is down every answer is a clear 503 (never a 500), and afterwards
    the background anchorer — not a manual anchor — covers every acknowledged record."""
    with running_postgres() as pg:
        require(pg is not None, "PostgreSQL")
        assert pg is not None
        url = pg.create_database("faults_http")
        server = SunlightServer(tmp_path / "data", database_url=url, anchor_interval_s=1).start()
        try:
            token = server.add_submitter("township")
            writers = Writers(server.url, token, count=WRITERS, retry_s=0.05).start()
            time.sleep(1.5)
            before = writers.acked_count
            assert before > 0
            pg.stop("fast")
            time.sleep(DOWN_S)
            refused = sum(writers.errors.values())
            pg.start()
            restarted = writers.acked_count
            deadline = time.monotonic() + 60
            while writers.acked_count < restarted + 200:
                assert time.monotonic() < deadline, f"no recovery: {dict(writers.errors)}"
                time.sleep(0.1)
            writers.stop()
            acked = writers.acked
            assert refused > 0, "no writer noticed the database going away"
            unexpected = {k: n for k, n in writers.errors.items() if not k.startswith("http:503:")}
            assert not unexpected, f"{unexpected} {writers.bodies}"
            assert not duplicates(acked)
            size = server.health()["log_size"]
            deadline = time.monotonic() + 60
            while True:  # the background anchorer survived the outage and catches up by itself
                latest = httpx.get(f"{server.url}/v1/checkpoints/latest", timeout=30).json()
                if latest.get("anchor") and latest["checkpoint"]["tree_size"] == size:
                    break
                assert time.monotonic() < deadline, f"anchoring did not resume: {latest}"
                time.sleep(0.5)
            assert not check_stored(server.url, token, acked)
            reader = open_reader(f"{server.url}/v1/chain/rpc", latest["anchor"]["contract"])
            problems = check_proved(server.url, token, acked, CachedRoots(reader))
            assert not problems, problems[:3]
        finally:
            server.stop()
        audit = cli("audit", data_dir=tmp_path / "data", database_url=url)
        assert audit.returncode == 0 and "audit passed" in audit.stdout, audit.stdout + audit.stderr

    figures = {
        "writers": WRITERS,
        "acknowledged": len(acked),
        "log_size": size,
        "lost": 0,
        "answers_while_down": dict(writers.errors),
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\nPostgreSQL restart under sunlight serve: {figures}")
