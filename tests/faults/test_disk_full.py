"""The data directory's disk full: an 8 MiB tmpfs holds the SQLite log and the local blob store.
Uploads until ENOSPC get a clear 507 ``storage_full`` (never a 500), nothing is corrupt (the audit
and the blob check pass), and once space is freed uploads work again."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from api.service.audit import audit_log
from api.storage.blobs.ops import check_blobs
from tests.conftest import require
from tests.integration.api.conftest import make_api

pytestmark = pytest.mark.timeout(180)

DISK = "8m"
FILLER = 2 * 1024 * 1024
UPLOAD = 256 * 1024


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[bool]:
    """A tmpfs of :data:`DISK` mounted at ``where`` (root only); yields False if it cannot be."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = False
    if os.geteuid() == 0:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            check=False,
        )
        mounted = done.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def _blob_digests(api: object) -> list[tuple[str, str | None]]:
    """(cid, sha256) of every record's file, as ``sunlight blobs check`` compares them."""
    log = api.client.app.state.ctx.notary.log  # type: ignore[attr-defined]
    out = []
    for e in log.iter_entries():
        content = e.record.content
        if content is not None and content.cid:
            out.append((content.cid, content.sha256))
    return out


def test_disk_full_uploads_get_507_nothing_corrupt_and_work_again_once_freed(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    with small_disk(tmp_path / "data") as mounted:
        require(
            mounted,
            f"a {DISK} tmpfs for the disk-full test (mount -t tmpfs needs root and CAP_SYS_ADMIN)",
        )
        filler = tmp_path / "data" / "filler"
        filler.write_bytes(b"\0" * FILLER)  # the space an operator frees later
        for api in make_api(tmp_path):
            ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
            acked: dict[str, bytes] = {}
            statuses: dict[str, int] = {}
            first_full = None
            for i in range(60):
                body = os.urandom(UPLOAD)
                r = api.submit(meta={"data": {"i": i}}, file=body, name=f"f{i}.bin")
                key = f"{r.status_code}:{r.json().get('error', '')}"
                statuses[key] = statuses.get(key, 0) + 1
                if r.status_code == 201:
                    acked[r.json()["id"]] = body
                    continue
                assert (r.status_code, r.json()["error"]) == (507, "storage_full"), r.text
                assert "disk is full" in r.json()["detail"]
                first_full = first_full if first_full is not None else i
                if statuses[key] >= 5:
                    break
            assert first_full is not None, f"the disk never filled: {statuses}"
            uploads_until_full = len(acked)
            # Records without a file need only a few hundred bytes of log: while the log still has
            # room they are accepted; if not, the answer is the same clear 507.
            plain = {201: 0, 507: 0}
            for i in range(20):
                r = api.submit(meta={"data": {"plain": i}}, file=None)
                assert r.status_code in (201, 507), r.text
                if r.status_code == 507:
                    assert r.json()["error"] == "storage_full"
                plain[r.status_code] += 1
            log_size = api.client.get("/healthz").json()["log_size"]

            report = audit_log(ctx.notary.log, public_key=ctx.notary.key.public_key)
            assert report.ok, [str(f) for f in report.findings[:5]]
            blobs = check_blobs(ctx.blobs, _blob_digests(api))
            assert blobs.healthy, blobs.problems[:5]
            assert not any((tmp_path / "data" / "blobs" / ".tmp").iterdir()), "partial upload left"

            filler.unlink()  # the operator frees space
            again = [
                api.submit(meta={"data": {"after": i}}, file=os.urandom(UPLOAD)) for i in range(3)
            ]
            assert [r.status_code for r in again] == [201, 201, 201], again[-1].text
            for record_id, body in list(acked.items())[:: max(1, len(acked) // 5)]:
                back = api.client.get(f"/v1/records/{record_id}/file", headers=api.auth("township"))
                assert back.status_code == 200 and back.content == body
            report = audit_log(ctx.notary.log, public_key=ctx.notary.key.public_key)
            assert report.ok and report.entries == log_size + 3, (report.entries, log_size)
            assert check_blobs(ctx.blobs, _blob_digests(api)).healthy

    figures = {
        "disk": DISK,
        "uploads_acknowledged_until_full": uploads_until_full,
        "answers": statuses,
        "data_only_records_accepted_refused": (plain[201], plain[507]),
        "log_size_when_full": log_size,
        "lost": 0,
    }
    for k, v in figures.items():
        record_property(k, v)
    print(f"\ndisk full: {figures}")
