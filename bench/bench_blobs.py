"""Blobs: cid_of against sha256sum on a 1 GiB file, and 1 GiB uploads into the local store and into a
real Kubo node (started here), with each upload's peak memory measured in its own process."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from bench._util import ROOT, big_file, figure, header, mib, python_child, run_child
from tests.support import blob_upload
from tests.support.kubo import running_kubo

SIZE = 1 << 30

_CID_CHILD = """
import sys
from notary.cid import cid_of
with open(sys.argv[1], "rb", buffering=0) as f:
    print(cid_of(f))
"""


def _upload(*args: str) -> dict[str, float | str]:
    _, _, out = run_child(
        blob_upload.command(*args), env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    )
    result: dict[str, float | str] = json.loads(out)
    return result


def _report(name: str, result: dict[str, float | str]) -> None:
    seconds = float(result["seconds"])
    rss = max(float(result["maxrss_bytes"]), float(result["vmhwm_bytes"]))
    figure(name, f"{SIZE / seconds / 2**20:.0f} MiB/s", f"peak RSS {mib(rss)} (target < 128 MiB)")


def main() -> None:
    header("Blobs: CIDs and uploads of a 1 GiB file (page cache warm; best of 3)")
    path = big_file(SIZE, "1gib.bin")
    t_ref, _, _ = min(run_child(["sha256sum", str(path)]) for _ in range(3))
    t_cid, rss, cid = min(python_child(_CID_CHILD, str(path)) for _ in range(3))
    figure("sha256sum", f"{SIZE / t_ref / 2**20:.0f} MiB/s")
    if shutil.which("openssl"):
        t_ossl, _, _ = min(run_child(["openssl", "dgst", "-sha256", str(path)]) for _ in range(3))
        figure(
            "openssl dgst -sha256 (uses the CPU's SHA extensions)",
            f"{SIZE / t_ossl / 2**20:.0f} MiB/s",
            f"cid_of is {t_ossl / t_cid:.2f}x this",
        )
    figure(
        "notary.cid.cid_of (whole process)",
        f"{SIZE / t_cid / 2**20:.0f} MiB/s",
        f"{t_ref / t_cid:.2f}x sha256sum (target >= 0.8x); peak RSS {mib(rss)}",
    )

    with tempfile.TemporaryDirectory(
        prefix="sunlight-bench-blobs-", dir=ROOT / "bench" / "out"
    ) as t:
        tmp = Path(t)
        local = _upload("--store", "local", "--root", str(tmp / "local"), "--file", str(path))
        assert local["cid"] == cid.strip(), "local store CID differs from cid_of"
        _report("upload into LocalBlobStore (sha256 + CID + fsync)", local)
        shutil.rmtree(tmp / "local")
        private = _upload(
            "--store", "local", "--root", str(tmp / "local"), "--file", str(path), "--private"
        )
        _report("upload into LocalBlobStore, private (AES-256-GCM)", private)
        shutil.rmtree(tmp / "local")

        with running_kubo() as kubo:
            if kubo is None:
                figure("upload into Kubo", "not available", "run scripts/setup/20-kubo.sh")
                return
            ipfs = _upload(
                "--store",
                "kubo",
                "--api",
                kubo.api_url,
                "--root",
                str(tmp / "meta"),
                "--file",
                str(path),
            )
            assert ipfs["cid"] == cid.strip(), "Kubo's CID differs from cid_of"
            _report("upload into Kubo over RPC (same CID as cid_of)", ipfs)


if __name__ == "__main__":
    main()
