"""Hashing a 1 GiB file: SHA-256 against sha256sum, SM3 against openssl, peak memory."""

from __future__ import annotations

import shutil

from bench._util import big_file, figure, header, mib, python_child, run_child

SIZE = 1 << 30

_HASH_CHILD = """
import sys
from notary.digests import digest_stream
with open(sys.argv[1], "rb") as f:
    d = digest_stream(f, sm3=sys.argv[2] == "sm3")
print(d.sha256, d.sm3 or "")
"""
_SM3_ONLY_CHILD = """
import sys
from cryptography.hazmat.primitives import hashes
h = hashes.Hash(hashes.SM3())
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(1 << 20):
        h.update(chunk)
print(h.finalize().hex())
"""


def main() -> None:
    header("Hashing a 1 GiB file (page cache warm; best of 3)")
    path = big_file(SIZE, "1gib.bin")
    t_ref, _, ref_out = min(run_child(["sha256sum", str(path)]) for _ in range(3))
    t_ours, rss, out = min(python_child(_HASH_CHILD, str(path), "sha256") for _ in range(3))
    assert out.split()[0] == ref_out.split()[0], "SHA-256 differs from sha256sum"
    figure("sha256sum", f"{SIZE / t_ref / 2**20:.0f} MiB/s")
    figure(
        "notary.digests SHA-256 (whole process)",
        f"{SIZE / t_ours / 2**20:.0f} MiB/s",
        f"{t_ref / t_ours:.2f}x sha256sum (target >= 0.9x); peak RSS {mib(rss)} (target < 64 MiB)",
    )
    if shutil.which("openssl"):
        t_ossl, _, ossl_out = min(
            run_child(["openssl", "dgst", "-sm3", str(path)]) for _ in range(3)
        )
        t_sm3, rss3, sm3_out = min(python_child(_SM3_ONLY_CHILD, str(path)) for _ in range(3))
        assert sm3_out.strip() == ossl_out.split("= ")[-1].strip(), "SM3 differs from openssl"
        t_both, rss_both, _ = min(python_child(_HASH_CHILD, str(path), "sm3") for _ in range(3))
        figure("openssl dgst -sm3", f"{SIZE / t_ossl / 2**20:.0f} MiB/s")
        figure(
            "SM3 (cryptography, streaming)",
            f"{SIZE / t_sm3 / 2**20:.0f} MiB/s",
            f"{t_ossl / t_sm3:.2f}x openssl; peak RSS {mib(rss3)}",
        )
        figure(
            "notary.digests SHA-256 + SM3 in one pass",
            f"{SIZE / t_both / 2**20:.0f} MiB/s",
            f"peak RSS {mib(rss_both)}",
        )
