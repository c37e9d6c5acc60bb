"""Records per second over HTTP (16 clients, 10 KiB files, durable) and /v1/verify throughput.

The server is ``sunlight serve --workers 2`` on loopback with SQLite (synchronous=FULL), the local
blob store and anvil as the chain (several workers need a real node; the embedded chain lives in
one process); the load comes from wrk. The baseline, measured in the same run, is wrk against
/healthz: the ceiling of this server stack on this machine for a request that does almost nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from api.run.process import running_server
from bench._util import OUT, figure, header
from tests.integration.anchors import nodes

CLIENTS = 16
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = 15

_UPLOAD_LUA = r"""
local boundary = "sunlightbenchboundary"
local pad = string.rep("x", 10 * 1024 - 64)
counter = 0
request = function()
  counter = counter + 1
  local body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="meta"\r\n\r\n'
    .. '{"kind": "site_photo", "project": "BENCH-1", "stage": "implementation"}\r\n'
    .. "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
    .. "Content-Type: image/jpeg\r\n\r\n"
    .. string.format("%d-%d-%s", math.random(1, 1e9), counter, pad) .. "\r\n"
    .. "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/v1/records", {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end
"""

_POST_JSON_LUA = r"""
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
"""


def _wrk(url: str, script: str | None, env: dict[str, str], tmp: Path) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s", url]
    if script:
        path = tmp / "s.lua"
        path.write_text(script)
        args[1:1] = ["-s", str(path)]
    out = subprocess.run(
        args, capture_output=True, text=True, env={**os.environ, **env}, check=True
    ).stdout
    units = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def latency(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * units[m.group(2)] if m else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": float(rate.group(1)) if rate else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }


def main() -> None:
    header(
        f"HTTP: {CLIENTS} concurrent clients for {SECONDS} s each (wrk, loopback), "
        f"{WORKERS} server workers"
    )
    if shutil.which("wrk") is None:
        figure("wrk", "not installed (scripts/setup/60-bench-tools.sh)")
        return
    if not nodes.anvil_available():
        figure("anvil", "not installed (scripts/setup/30-node.sh)")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / "http"
    shutil.rmtree(data, ignore_errors=True)
    os.sync()  # the last run's deletions are not this run's disk traffic
    # Every process started here (anvil, the server and its workers) stops when this ends,
    # however it ends: the ExitStack unwinds in reverse order of starting.
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sunlight-bench-")))
        chain = stack.enter_context(nodes.running(nodes.anvil(tmp)))
        _measure(stack, chain, data, tmp)


def _measure(stack: contextlib.ExitStack, chain: nodes.Node, data: Path, tmp: Path) -> None:
    admin = secrets.token_urlsafe(32)
    key = nodes.ANVIL_KEYS[0]
    deployed = subprocess.run(
        [
            str(Path(sys.executable).parent / "sunlight"),
            "contract",
            "deploy",
            "--rpc-url",
            chain.url,
            "--private-key",
            key,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    _, base = stack.enter_context(
        running_server(
            data,
            admin,
            OUT / "http-server.log",
            extra_env={
                "SUNLIGHT_PUBLIC_RATE_PER_S": "1e9",
                "SUNLIGHT_PUBLIC_BURST": "1e9",
                "SUNLIGHT_CHAIN_RPC_URL": chain.url,
                "SUNLIGHT_CONTRACT_ADDRESS": deployed.stdout.strip().splitlines()[-1],
                "SUNLIGHT_ANCHOR_PRIVATE_KEY": key,
            },
            workers=WORKERS,
        )
    )
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}) as c:
        c.post(
            "/v1/parties",
            json={
                "id": "bench",
                "name": "Bench",
                "kind": "organisation",
                "roles": ["submitter"],
            },
        ).raise_for_status()
        token = c.post("/v1/parties/bench/tokens").json()["token"]
    base_line = _wrk(f"{base}/healthz", None, {}, tmp)
    figure(
        "baseline: GET /healthz",
        f"{base_line['rate']:,.0f}/s",
        f"p50 {base_line['p50']:.1f} ms, p99 {base_line['p99']:.1f} ms",
    )
    up = _wrk(base, _UPLOAD_LUA, {"BENCH_TOKEN": token}, tmp)
    figure(
        "POST /v1/records, 10 KiB file, durable",
        f"{up['rate']:,.0f}/s",
        f"p50 {up['p50']:.1f} ms, p99 {up['p99']:.1f} ms (targets >= 500/s, p99 < 50 ms); "
        f"{up['rate'] / base_line['rate']:.2f}x baseline; non-2xx {up['non2xx']:.0f}",
    )
    with httpx.Client(base_url=base, timeout=120) as c:
        anchored = c.post("/v1/anchor", headers={"Authorization": f"Bearer {admin}"})
        anchored.raise_for_status()
        size = anchored.json()["tree_size"]
        first = c.post("/v1/verify", json={"sha256": "0" * 64}).json()
        assert first["verified"] is False
        rid = _some_record(data)
        bundle = c.get(f"/v1/records/{rid}/proof").json()
    body = tmp / "bundle.json"
    body.write_text(json.dumps(bundle))
    ver = _wrk(f"{base}/v1/verify", _POST_JSON_LUA, {"BENCH_BODY": str(body)}, tmp)
    figure(
        f"POST /v1/verify with a bundle (log of {size:,})",
        f"{ver['rate']:,.0f}/s",
        f"p50 {ver['p50']:.1f} ms, p99 {ver['p99']:.1f} ms (target >= 1,000/s); "
        f"{ver['rate'] / base_line['rate']:.2f}x baseline; non-2xx {ver['non2xx']:.0f}",
    )


def _some_record(data: Path) -> str:
    from api.storage.log import LogStore  # noqa: PLC0415

    store = LogStore.open(f"sqlite:///{data / 'sunlight.db'}")
    try:
        return store.get_by_index(0).record_id
    finally:
        store.close()
