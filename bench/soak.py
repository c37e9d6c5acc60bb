"""``make soak``: ``sunlight serve`` on loopback under a steady load for a while (default 10 min).

The server anchors every 10 s on the embedded chain; a few threads submit records at a steady rate
(default 50/s, one in ten with a file), bounded in count and time. The server's RSS (VmRSS) is
sampled every 10 s. At the end: no errors, every record anchored (each proof 200 and verifying
against the chain), no size anchored twice, the audit passes, and the RSS growth between the second
minute and the end stays under ``--max-growth`` percent. Prints the figures; exits 1 on failure.

``python -m bench.soak [--minutes 10] [--rate 50] [--threads 5] [--max-growth 20]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from anchors import open_reader
from tests.faults.load import CachedRoots, Writers, check_proved, check_stored, duplicates
from tests.support.server import SunlightServer, cli


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=50.0, help="records per second, all threads")
    p.add_argument("--threads", type=int, default=5)
    p.add_argument("--anchor-interval", type=float, default=10.0)
    p.add_argument("--sample-s", type=float, default=10.0, help="RSS sampling period")
    p.add_argument("--max-growth", type=float, default=20.0, help="RSS growth limit, percent")
    p.add_argument("--data-dir", type=Path, default=None, help="default: a temporary directory")
    args = p.parse_args(argv)

    duration = args.minutes * 60
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="sunlight-soak-"))
    server = SunlightServer(base / "data", anchor_interval_s=args.anchor_interval)
    print(
        f"soak: {args.minutes:g} min at {args.rate:g} records/s from {args.threads} threads, "
        f"anchoring every {args.anchor_interval:g} s; data in {base}",
        flush=True,
    )
    failures: list[str] = []
    samples: list[tuple[float, int]] = []
    server.start()
    try:
        token = server.add_submitter("soak")
        quota = int(args.rate * duration * 1.05 / args.threads) + 1  # bounded in count too
        writers = Writers(
            server.url,
            token,
            count=args.threads,
            per_thread=quota,
            rate_per_s=args.rate,
            file_every=10,
            timeout_s=30,
        )
        started = time.monotonic()
        writers.start()
        stop = threading.Event()

        def sample() -> None:
            while True:
                samples.append((time.monotonic() - started, server.rss_kib()))
                if stop.wait(args.sample_s):
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        while time.monotonic() - started < duration:
            time.sleep(min(30.0, max(0.1, duration - (time.monotonic() - started))))
            t, rss = time.monotonic() - started, samples[-1][1]
            print(
                f"  {t:6.0f} s  {writers.acked_count:7d} records  RSS {rss / 1024:7.1f} MiB  "
                f"errors {sum(writers.errors.values())}",
                flush=True,
            )
        writers.stop()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join(30)
        samples.append((elapsed, server.rss_kib()))

        acked = writers.acked
        if writers.errors:
            failures.append(f"errors during the load: {dict(writers.errors)} {writers.bodies}")
        if duplicates(acked):
            failures.append(f"indices acknowledged twice: {duplicates(acked)[:10]}")
        size = server.health()["log_size"]
        if size != len(acked):
            failures.append(f"log size {size} != {len(acked)} acknowledged")

        # Everything anchored: wait for the background anchorer (at most two intervals), then
        # anchor whatever is left on demand.
        deadline = time.monotonic() + 2 * args.anchor_interval + 30
        latest: dict[str, Any] = {}
        while time.monotonic() < deadline:
            latest = httpx.get(f"{server.url}/v1/checkpoints/latest", timeout=30).json()
            if latest.get("anchor") and latest["checkpoint"]["tree_size"] == size:
                break
            time.sleep(1)
        else:
            r = server.anchor()
            if r.status_code != 200:
                failures.append(f"POST /v1/anchor: {r.status_code} {r.text[:300]}")
            latest = httpx.get(f"{server.url}/v1/checkpoints/latest", timeout=30).json()
        if latest.get("checkpoint", {}).get("tree_size") != size:
            failures.append(f"not everything was anchored: {latest}")
        missing = check_stored(server.url, token, acked)
        if missing:
            failures.append(
                f"{len(missing)} acknowledged records not as acknowledged: {missing[:3]}"
            )
        reader = open_reader(f"{server.url}/v1/chain/rpc", latest["anchor"]["contract"])
        unproved = check_proved(server.url, token, acked, CachedRoots(reader))
        if unproved:
            failures.append(f"{len(unproved)} records without a verifying proof: {unproved[:3]}")
        events = reader._contract.events.CheckpointAnchored().get_logs(from_block=0)  # type: ignore[attr-defined]
        sizes = [int(e["args"]["treeSize"]) for e in events]
        if len(sizes) != len(set(sizes)):
            failures.append(f"a size anchored twice: {sizes}")
    finally:
        server.stop()
    audit = cli("audit", data_dir=server.data_dir)
    if audit.returncode != 0:
        failures.append(f"audit failed: {audit.stdout[-500:]}")

    # RSS: from the sample nearest the end of the 2nd minute (or 20 % of a short run) to the end.
    ref_t = min(120.0, 0.2 * elapsed)
    ref = min(samples, key=lambda s: abs(s[0] - ref_t))
    end = samples[-1]
    growth = 100.0 * (end[1] - ref[1]) / ref[1]
    if growth >= args.max_growth:
        failures.append(f"RSS grew {growth:.1f}% from {ref[0]:.0f} s to the end")
    lat = sorted(writers.latencies)
    figures = {
        "duration_s": round(elapsed, 1),
        "records": len(acked),
        "rate_per_s": round(len(acked) / elapsed, 1),
        "with_files": sum(1 for a in acked if a.data["seq"] % 10 == 0),
        "errors": sum(writers.errors.values()),
        "latency_ms_p50": round(1000 * statistics.median(lat), 1) if lat else None,
        "latency_ms_p99": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1) if lat else None,
        "anchors": len(sizes),
        "proofs_verified": len(acked) - len(unproved),
        "rss_start_mib": round(samples[0][1] / 1024, 1),
        f"rss_at_{ref[0]:.0f}s_mib": round(ref[1] / 1024, 1),
        "rss_end_mib": round(end[1] / 1024, 1),
        "rss_max_mib": round(max(s[1] for s in samples) / 1024, 1),
        "rss_growth_pct": round(growth, 1),
    }
    print("soak figures:")
    for k, v in figures.items():
        print(f"  {k:24} {v}")
    print("RSS samples (s, MiB): " + ", ".join(f"{t:.0f}:{r / 1024:.1f}" for t, r in samples))
    if failures:
        print("SOAK FAILED:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print("soak passed")
    if args.data_dir is None:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
