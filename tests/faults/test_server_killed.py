"""``sunlight serve`` killed with SIGKILL under 16 concurrent writers, three times, restarted each
time: every record that got a receipt is there, at the index it was acknowledged with, and is
proved once anchored.

The server runs on the embedded chain, anchoring every second, so the kill may land anywhere: in an
append, in a group commit, between sending an anchor and confirming it. The embedded chain's journal
and its lock are what a restart after a crash must get right too.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from anchors import open_reader
from notary.signing import Receipt, verify_receipt
from tests.faults.load import CachedRoots, Writers, check_proved, check_stored, duplicates
from tests.support.server import SunlightServer, cli

pytestmark = pytest.mark.timeout(240)

WRITERS = 16
#: Kills, and acknowledged records in all before the last one (or LOAD_S seconds per kill).
KILLS = 3
BEFORE_KILL = 900
LOAD_S = 20.0


def _public_key(server: SunlightServer, record_id: str) -> bytes:
    r = httpx.get(f"{server.url}/v1/records/{record_id}/proof", headers=server.auth(), timeout=30)
    assert r.status_code == 200, r.text
    return base64.b64decode(r.json()["log_public_key"])


def test_sigkill_under_16_writers_loses_no_acknowledged_record(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    data = tmp_path / "data"
    server = SunlightServer(data, anchor_interval_s=1).start()
    try:
        token = server.add_submitter("field-office")
        writers = Writers(server.url, token, count=WRITERS, file_every=4, retry_s=0.1).start()
        kills: list[dict[str, float]] = []
        rng = random.Random()
        for _ in range(KILLS):
            # Kill at a random moment once enough records were acknowledged since the last start.
            target = writers.acked_count + BEFORE_KILL // KILLS
            deadline = time.monotonic() + LOAD_S
            while writers.acked_count < target and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 0.5))
            at_kill = writers.acked_count
            assert at_kill >= target - 1, f"the server acknowledged only {at_kill} records"
            killed_at = time.monotonic()
            server.kill()
            time.sleep(0.5)  # writers hammer a dead port
            server.start()
            kills.append({"acked": at_kill, "outage_s": round(time.monotonic() - killed_at, 2)})
        before_kill = kills[-1]["acked"]
        after_restart = writers.acked_count
        # Load goes on after the last restart, on the recovered log.
        deadline = time.monotonic() + LOAD_S
        while writers.acked_count < after_restart + 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        writers.stop()
        acked = writers.acked
        assert writers.acked_count > after_restart, "nothing was acknowledged after the restart"
        assert not duplicates(acked), f"indices acknowledged twice: {duplicates(acked)[:10]}"
        unexpected = {k: n for k, n in writers.errors.items() if not k.startswith("transport:")}
        assert not unexpected, f"error answers besides the outage: {unexpected} {writers.bodies}"

        missing = check_stored(server.url, token, acked)
        assert not missing, f"{len(missing)} acknowledged records lost or moved: {missing[:5]}"
        size = server.health()["log_size"]
        assert size >= max(a.leaf_index for a in acked) + 1

        anchored = server.anchor()
        assert anchored.status_code == 200, anchored.text
        body = anchored.json()
        assert body["status"] in ("confirmed", "up_to_date"), body
        latest = httpx.get(f"{server.url}/v1/checkpoints/latest", timeout=30).json()
        assert latest["checkpoint"]["tree_size"] == size, (latest, size)

        public_key = _public_key(server, acked[0].id)
        for ack in acked[:: max(1, len(acked) // 200)]:  # receipts are the notary's signature
            verify_receipt(Receipt.model_validate(ack.receipt), public_key)

        reader = open_reader(f"{server.url}/v1/chain/rpc", latest["anchor"]["contract"])
        problems = check_proved(server.url, token, acked, CachedRoots(reader))
        assert not problems, f"{len(problems)} records without a verifying proof: {problems[:3]}"
        events = reader._contract.events.CheckpointAnchored().get_logs(from_block=0)  # type: ignore[attr-defined]
        sizes = [int(e["args"]["treeSize"]) for e in events]
        assert len(sizes) == len(set(sizes)), f"a size anchored twice: {sizes}"
        assert sizes == sorted(sizes) and sizes[-1] == size
    finally:
        server.stop()

    audit = cli("audit", data_dir=data)
    assert audit.returncode == 0 and "audit passed" in audit.stdout, audit.stdout + audit.stderr
    check = cli("blobs", "check", data_dir=data)
    assert check.returncode == 0 and "check passed" in check.stdout, check.stdout + check.stderr

    lost = 0
    figures = {
        "writers": WRITERS,
        "kills": kills,
        "acknowledged_before_last_kill": before_kill,
        "acknowledged_total": len(acked),
        "log_size": size,
        "in_flight_at_kills_kept": size - len(acked),
        "lost": lost,
        "anchors": len(sizes),
        "transport_errors": sum(writers.errors.values()),
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\nSIGKILL under load: {figures}")
