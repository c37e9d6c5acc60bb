"""The photo index on SQLite: filing 100 000 photos, and finding copies of one among them.

Two tables of 100 000 hashes: uniform random ones (unrelated pictures), and clustered ones (500
pictures, 200 variants each, up to 12 bits apart: many near copies, so many candidates per lookup).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from api.storage import db
from api.storage.migrate import upgrade
from api.storage.photos import IndexedPhoto, PhotoIndex
from bench._util import figure, header
from notary.evidence.photos import PhotoEvidence, PhotoPolicy

ROWS = 100_000
QUERIES = 200
THRESHOLD = PhotoPolicy().near_duplicate_distance


def _flip(rnd: random.Random, phash: int, most: int) -> int:
    for bit in rnd.sample(range(64), rnd.randrange(most + 1)):
        phash ^= 1 << bit
    return phash


def _uniform(rnd: random.Random) -> list[int]:
    return [rnd.getrandbits(64) for _ in range(ROWS)]


def _clustered(rnd: random.Random) -> list[int]:
    pictures = [rnd.getrandbits(64) for _ in range(ROWS // 200)]
    return [_flip(rnd, pictures[i % len(pictures)], 12) for i in range(ROWS)]


def _fill(index: PhotoIndex, hashes: list[int]) -> float:
    photos = [
        IndexedPhoto(i, f"rec{i}", f"P{i % 997}", PhotoEvidence(sha256=f"{i:064x}", phash=h))
        for i, h in enumerate(hashes)
    ]
    start = time.perf_counter()
    for at in range(0, len(photos), 5000):
        index.add(photos[at : at + 5000])
    return time.perf_counter() - start


def _lookups(index: PhotoIndex, queries: list[int]) -> tuple[list[float], int]:
    times, hits = [], 0
    for q in queries:
        start = time.perf_counter()
        hits += len(index.matches(f"{q:064x}", q, exclude_project="none", max_distance=THRESHOLD))
        times.append(time.perf_counter() - start)
    return times, hits


def _run(name: str, hashes: list[int], rnd: random.Random, workdir: Path) -> None:
    engine = db.make_engine(f"sqlite:///{workdir / name}.db", sqlite_synchronous="NORMAL")
    upgrade(engine)
    index = PhotoIndex(engine)
    filled = _fill(index, hashes)
    figure(f"{name}: filing {ROWS} photos", f"{filled:.1f} s", f"{ROWS / filled:.0f} photos/s")
    queries = [_flip(rnd, rnd.choice(hashes), 6) for _ in range(QUERIES)]
    _lookups(index, queries[:10])  # warm the page cache
    times, hits = _lookups(index, queries)
    ms = sorted(t * 1000 for t in times)
    figure(
        f"{name}: matches(sha256, phash, t={THRESHOLD})",
        f"{statistics.median(ms):.1f} ms median",
        f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms, max {ms[-1]:.1f} ms; {hits / QUERIES:.0f} hits/query",
    )
    engine.dispose()


def main() -> None:
    header(f"Photo index on SQLite: {ROWS} photos, {QUERIES} lookups of near copies")
    rnd = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        _run("uniform", _uniform(rnd), rnd, Path(tmp))
        _run("clustered", _clustered(rnd), rnd, Path(tmp))


if __name__ == "__main__":
    main()
