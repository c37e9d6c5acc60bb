"""Load and checks shared by the fault tests and the soak: HTTP writers that keep every receipt they
were given, and the check that each acknowledged record is stored as acknowledged and proved."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from notary.bundle import parse_bundle, verify_bundle
from notary.trust import TrustedChain, TrustRoot
from notary.verdict import Level
from tests.support.server import submit


@dataclass(frozen=True)
class Ack:
    """A record the server acknowledged (201 with a receipt)."""

    id: str
    leaf_index: int
    leaf_hash: str
    data: dict[str, Any]
    receipt: dict[str, Any]


@dataclass
class Writers:
    """``count`` threads posting records to ``url`` until stopped (or ``per_thread`` each).

    Transport errors (server killed, not yet back) and error statuses are counted, never raised:
    a writer backs off ``retry_s`` and goes on with a new record. ``rate_per_s`` (total) paces the
    writers; 0 means as fast as the server answers.
    """

    url: str
    token: str
    count: int = 16
    per_thread: int | None = None
    rate_per_s: float = 0.0
    file_every: int = 0
    retry_s: float = 0.05
    timeout_s: float = 30.0
    acked: list[Ack] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, str] = field(default_factory=dict)
    #: Seconds each acknowledged request took.
    latencies: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Writers:
        for t in range(self.count):
            th = threading.Thread(target=self._run, args=(t,), name=f"writer-{t}", daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def stop(self, timeout: float = 60.0) -> None:
        self._stop.set()
        for th in self._threads:
            th.join(timeout)
        assert not any(th.is_alive() for th in self._threads), "a writer did not stop"

    def join(self, timeout: float) -> None:
        """Wait for writers with a ``per_thread`` quota to finish."""
        deadline = time.monotonic() + timeout
        for th in self._threads:
            th.join(max(0.0, deadline - time.monotonic()))
        self._stop.set()
        assert not any(th.is_alive() for th in self._threads), "writers did not finish in time"

    @property
    def acked_count(self) -> int:
        with self._lock:
            return len(self.acked)

    def _error(self, what: str, body: str = "") -> None:
        with self._lock:
            self.errors[what] += 1
            if body and what not in self.bodies:
                self.bodies[what] = body[:500]

    def _run(self, t: int) -> None:
        interval = self.count / self.rate_per_s if self.rate_per_s else 0.0
        next_at = time.monotonic()
        seq = 0
        with httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=self.timeout_s,
        ) as client:
            while not self._stop.is_set():
                if self.per_thread is not None and seq >= self.per_thread:
                    return
                if interval:
                    next_at += interval
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                    elif delay < -1.0:  # fell behind (server paused): do not burst to catch up
                        next_at = time.monotonic()
                data = {"writer": t, "seq": seq, "at": time.time()}
                file = None
                if self.file_every and seq % self.file_every == 0:
                    file = f"writer {t} file {seq} ".encode() * 20
                seq += 1
                started = time.perf_counter()
                try:
                    r = submit(client, {"kind": "document", "data": data}, file)
                except httpx.TransportError as e:
                    self._error(f"transport:{type(e).__name__}")
                    self._stop.wait(self.retry_s)
                    continue
                if r.status_code != 201:
                    self._error(f"http:{r.status_code}:{_code(r)}", r.text)
                    self._stop.wait(self.retry_s)
                    continue
                body = r.json()
                ack = Ack(body["id"], body["leaf_index"], body["leaf_hash"], data, body["receipt"])
                with self._lock:
                    self.acked.append(ack)
                    self.latencies.append(time.perf_counter() - started)


def _code(r: httpx.Response) -> str:
    try:
        return str(r.json().get("error"))
    except ValueError:
        return "?"


class CachedRoots:
    """A ``ChainView`` that asks the chain once per tree size and per transaction."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._roots: dict[int, bytes | None] = {}
        self._lock = threading.Lock()

        self.chain_id = reader.chain_id
        self.contract_address = reader.contract_address
        self._txs: dict[str, Any] = {}

    def root_at(self, tree_size: int) -> bytes | None:
        with self._lock:
            if tree_size not in self._roots:
                self._roots[tree_size] = self._reader.root_at(tree_size)
            return self._roots[tree_size]

    def anchor_tx(self, tx_hash: str) -> Any:
        with self._lock:
            if tx_hash not in self._txs:
                self._txs[tx_hash] = self._reader.anchor_tx(tx_hash)
            return self._txs[tx_hash]

    def block_hash(self, number: int) -> str | None:
        with self._lock:
            block: str | None = self._reader.block_hash(number)
            return block

    def block_number(self) -> int:
        with self._lock:
            return int(self._reader.block_number())


def check_stored(url: str, token: str, acked: list[Ack], workers: int = 8) -> list[str]:
    """Every acknowledged record read back: same id, index, hash and data. Returns the problems."""

    def one(client: httpx.Client, ack: Ack) -> str | None:
        r = client.get(f"/v1/records/{ack.id}")
        if r.status_code != 200:
            return f"{ack.id} (leaf {ack.leaf_index}): GET {r.status_code} {r.text[:200]}"
        got = r.json()
        if (got["leaf_index"], got["leaf_hash"]) != (ack.leaf_index, ack.leaf_hash):
            return (
                f"{ack.id}: acknowledged at {ack.leaf_index}/{ack.leaf_hash[:12]}, stored at "
                f"{got['leaf_index']}/{got['leaf_hash'][:12]}"
            )
        if got["record"]["data"] != ack.data:
            return f"{ack.id}: data differs"
        return None

    return _each(url, token, acked, one, workers)


def check_proved(url: str, token: str, acked: list[Ack], chain: Any, workers: int = 8) -> list[str]:
    """Every acknowledged record has a proof bundle (200) that verifies, the anchor checked against
    ``chain`` (a ``ChainView``), which is the trust root. Returns the problems."""
    trust = TrustRoot(
        chains=(TrustedChain(chain_id=chain.chain_id, contract=chain.contract_address),)
    )

    def one(client: httpx.Client, ack: Ack) -> str | None:
        r = client.get(f"/v1/records/{ack.id}/proof")
        if r.status_code != 200:
            return f"{ack.id} (leaf {ack.leaf_index}): proof {r.status_code} {r.text[:200]}"
        bundle = parse_bundle(r.json())
        if bundle.leaf_index != ack.leaf_index or bundle.leaf_hash != ack.leaf_hash:
            return f"{ack.id}: the bundle names another leaf"
        report = verify_bundle(bundle, trust=trust, chain=chain)
        if report.level is not Level.ANCHORED:
            return f"{ack.id}: bundle does not verify: {[c.to_json() for c in report.checks]}"
        return None

    return _each(url, token, acked, one, workers)


def _each(
    url: str,
    token: str,
    acked: list[Ack],
    fn: Callable[[httpx.Client, Ack], str | None],
    workers: int,
) -> list[str]:
    local = threading.local()
    opened: list[httpx.Client] = []

    def run(ack: Ack) -> str | None:
        if not hasattr(local, "c"):
            local.c = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            opened.append(local.c)
        return fn(local.c, ack)

    try:
        with ThreadPoolExecutor(workers) as pool:
            return [p for p in pool.map(run, acked) if p is not None]
    finally:
        for c in opened:
            c.close()


def duplicates(acked: list[Ack]) -> list[int]:
    """Leaf indices acknowledged to more than one record."""
    counts = Counter(a.leaf_index for a in acked)
    return sorted(i for i, n in counts.items() if n > 1)
