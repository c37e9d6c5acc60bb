"""``sunlight serve`` as a real process on loopback, for the fault tests and the soak.

The server gets a clean environment (no inherited ``SUNLIGHT_*``), its own data directory and
admin token; ``start()``, ``kill()`` (SIGKILL) and ``stop()`` (SIGTERM) may be repeated on the same
data directory and port.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from api.run.process import stop_server
from tests.support.net import free_port

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
ADMIN_TOKEN = "admin-" + "f" * 40


def clean_env(**settings: Any) -> dict[str, str]:
    """``os.environ`` without any ``SUNLIGHT_*``, plus ``settings`` as ``SUNLIGHT_<NAME>``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    env.update({f"SUNLIGHT_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def cli(
    *args: str, data_dir: Path, timeout: float = 300, **settings: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``sunlight ARGS`` on ``data_dir``; never raises for an exit status."""
    return subprocess.run(
        [SUNLIGHT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean_env(data_dir=data_dir, **settings), "COLUMNS": "200"},
        check=False,
    )


class SunlightServer:
    def __init__(self, data_dir: Path, *, port: int | None = None, **settings: Any) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.settings = {"admin_token": ADMIN_TOKEN, **settings}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self.tokens: dict[str, str] = {"admin": ADMIN_TOKEN}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 90.0) -> SunlightServer:
        env = clean_env(data_dir=self.data_dir, **self.settings)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [SUNLIGHT, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:  # its own session: a Ctrl-C here would not reach it, so stop it on any failure
            self._wait_up(timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_up(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sunlight serve exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"sunlight serve did not come up: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc, timeout=40)
        self.proc = None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def rss_kib(self) -> int:
        """The server's resident set size (VmRSS) in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    # --- HTTP --------------------------------------------------------------------------------------

    def auth(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def add_submitter(self, party: str) -> str:
        """Create a party with the submitter role and return a fresh token for it."""
        with httpx.Client(base_url=self.url, headers=self.auth(), timeout=30) as c:
            r = c.post(
                "/v1/parties",
                json={"id": party, "name": party, "kind": "organisation", "roles": ["submitter"]},
            )
            assert r.status_code == 201, r.text
            r = c.post(f"/v1/parties/{party}/tokens")
            assert r.status_code in (200, 201), r.text
        self.tokens[party] = r.json()["token"]
        return self.tokens[party]

    def anchor(self, timeout: float = 120) -> httpx.Response:
        return httpx.post(f"{self.url}/v1/anchor", headers=self.auth(), timeout=timeout)

    def health(self) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/healthz", timeout=10)
        r.raise_for_status()
        return dict(r.json())


def submit(
    client: httpx.Client, meta: dict[str, Any], file: bytes | None = None, name: str = "f.bin"
) -> httpx.Response:
    files = {"file": (name, file, "application/octet-stream")} if file is not None else None
    return client.post("/v1/records", data={"meta": json.dumps(meta)}, files=files)
