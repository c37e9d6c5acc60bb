"""A real Kubo (IPFS) node for tests and benchmarks: ``ipfs daemon --offline`` on loopback, in a
temporary repository. The binary is built by scripts/setup/20-kubo.sh into ~/.cache/sunlight/bin."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CACHED_BINARY = Path.home() / ".cache" / "sunlight" / "bin" / "ipfs"


def kubo_binary() -> Path | None:
    """``$SUNLIGHT_KUBO_BIN``, else the cached build, else ``ipfs`` on PATH."""
    env = os.environ.get("SUNLIGHT_KUBO_BIN")
    if env:
        return Path(env) if Path(env).exists() else None
    if CACHED_BINARY.exists():
        return CACHED_BINARY
    found = shutil.which("ipfs")
    return Path(found) if found else None


class KuboDaemon:
    """One offline daemon. ``start()``/``stop()`` may be repeated; the repository is kept until
    :meth:`cleanup`. The RPC port is chosen by the node (``tcp/0``) and read from ``$IPFS_PATH/api``
    after each start."""

    def __init__(self, binary: Path, *, repo: Path | None = None) -> None:
        self.binary = binary
        self._own_repo = repo is None
        self.repo = repo or Path(tempfile.mkdtemp(prefix="sunlight-ipfs-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self.api_url = ""
        self._log = self.repo / "daemon.log"
        if not (self.repo / "config").exists():
            self._ipfs("init", "--profile=test")
            # Sunlight passes these on every add; the config keeps `ipfs add` by hand consistent.
            self._ipfs("config", "Import.CidVersion", "1", "--json")
            self._ipfs("config", "Import.UnixFSRawLeaves", "true", "--json")

    def pin_api_port(self, port: int) -> None:
        """Serve the RPC API on ``port`` from the next start on, so a restarted daemon is found
        again at the same URL (by default each start picks a new port)."""
        self._ipfs("config", "Addresses.API", f"/ip4/127.0.0.1/tcp/{port}")

    def config_json(self, key: str, value: object) -> None:
        """``ipfs config --json KEY VALUE``, taking effect at the next start."""
        self._ipfs("config", key, json.dumps(value), "--json")

    def _env(self) -> dict[str, str]:
        return {**os.environ, "IPFS_PATH": str(self.repo)}

    def _ipfs(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.binary), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"ipfs {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, timeout: float = 60.0) -> None:
        api_file = self.repo / "api"
        api_file.unlink(missing_ok=True)
        with self._log.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(self.binary), "daemon", "--offline"],
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"ipfs daemon exited: {self._log.read_text()[-2000:]}")
            if api_file.exists():
                url = _multiaddr_to_url(api_file.read_text().strip())
                with contextlib.suppress(httpx.HTTPError):
                    # 403: the node answers, but asks for credentials (API.Authorizations).
                    status = httpx.post(f"{url}/api/v0/version", timeout=2).status_code
                    if status in (200, 403):
                        self.api_url = url
                        return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("ipfs daemon did not become ready in time")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=20)
        self._proc = None

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=20)
        self._proc = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_repo:
            shutil.rmtree(self.repo, ignore_errors=True)

    def blocks_on_disk(self) -> int:
        """Number of blocks in the repository's flatfs store."""
        return sum(1 for _ in (self.repo / "blocks").rglob("*.data"))


def _multiaddr_to_url(addr: str) -> str:
    parts = addr.strip("/").split("/")  # ip4 127.0.0.1 tcp 12345
    if len(parts) < 4 or parts[0] not in ("ip4", "ip6") or parts[2] != "tcp":
        raise RuntimeError(f"unexpected API address {addr!r}")
    host = parts[1] if parts[0] == "ip4" else f"[{parts[1]}]"
    return f"http://{host}:{parts[3]}"


@contextlib.contextmanager
def running_kubo() -> Iterator[KuboDaemon | None]:
    """A started daemon, or None when no binary is available."""
    binary = kubo_binary()
    if binary is None:
        yield None
        return
    daemon = KuboDaemon(binary)
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.cleanup()
