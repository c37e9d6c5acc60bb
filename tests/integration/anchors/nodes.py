"""Real Ethereum nodes for the anchor tests: anvil (from node_modules) and geth --dev (if built)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.consortium import network
from scripts.consortium.network import stop_process
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[3]
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
#: geth 1.13.15, the consortium's (scripts/setup/40-geth.sh builds it); its --dev mode as well.
GETH = Path(os.environ.get("SUNLIGHT_GETH", network.GETH))

#: anvil's well-known development keys (mnemonic "test test ... junk"): test chains only.
ANVIL_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
]


def rpc(url: str, method: str, *params: Any, timeout: float = 10) -> Any:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    ).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        reply = json.loads(r.read())
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"node exited with {proc.returncode}")
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            rpc(url, "eth_chainId", timeout=2)
            return
        time.sleep(0.1)
    raise RuntimeError(f"node at {url} did not come up")


@dataclass
class Node:
    """A node process on 127.0.0.1."""

    kind: str
    argv: list[str]
    port: int
    keys: list[str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Node:
        self.log = (self.workdir / f"{self.kind}.log").open("ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            _wait_up(self.url, self.proc)
        except BaseException:  # not up (or interrupted): do not leave the node running
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop gracefully (anvil writes its --state file on SIGTERM... and SIGINT)."""
        if self.proc is not None:
            stop_process(self.proc, signal.SIGINT)
        self.proc = None
        if self.log:
            self.log.close()

    def call(self, method: str, *params: Any) -> Any:
        return rpc(self.url, method, *params)


def anvil_available() -> bool:
    return ANVIL.is_file() and os.access(ANVIL, os.X_OK)


def geth_available() -> bool:
    return GETH.is_file() and os.access(GETH, os.X_OK)


def anvil(workdir: Path, *extra: str, port: int | None = None) -> Node:
    port = port or free_port()
    argv = [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--chain-id", "31337", *extra]
    return Node("anvil", argv, port, list(ANVIL_KEYS), workdir)


def geth_dev(workdir: Path, period_s: int = 0) -> Node:
    """geth --dev: instant sealing (or a block every ``period_s``); its developer account funds a
    fresh key we control."""
    port = free_port()
    argv = [
        str(GETH),
        "--dev",
        "--dev.period",
        str(period_s),
        "--datadir",
        str(workdir / "geth"),
        "--http",
        "--http.addr",
        "127.0.0.1",
        "--http.port",
        str(port),
        "--http.api",
        "eth,net,web3,debug,txpool",
        "--nodiscover",
        "--maxpeers",
        "0",
        "--port",
        "0",
        "--authrpc.port",
        str(free_port()),
        "--verbosity",
        "2",
    ]
    return Node("geth", argv, port, [], workdir)


def fund_from_dev_account(node: Node, address: str, wei: int = 10**21) -> None:
    dev = node.call("eth_accounts")[0]
    tx = send_from_dev(node, dev, address, wei)
    deadline = time.monotonic() + 30
    while _receipt_while_indexing(node, tx) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("funding transaction not mined")
        time.sleep(0.1)


def send_from_dev(node: Node, dev: str, address: str, wei: int) -> str:
    """Send from geth's dev account with the pool's next nonce. On a loaded machine geth --dev
    can still hold an earlier transaction of the dev account in its pool and answer "already
    known" or "replacement transaction underpriced"; then wait a little and send with the next
    pending nonce (and another value, so it is never the same transaction)."""
    for attempt in range(10):
        nonce = int(node.call("eth_getTransactionCount", dev, "pending"), 16)
        body = {"from": dev, "to": address, "value": hex(wei + attempt), "nonce": hex(nonce)}
        try:
            return str(node.call("eth_sendTransaction", body))
        except RuntimeError as e:
            if "already known" not in str(e) and "underpriced" not in str(e):
                raise
            time.sleep(0.5)
    raise RuntimeError("geth --dev kept refusing the funding transaction")


def _receipt_while_indexing(node: Node, tx: str) -> Any:
    """The receipt, or None; also None while a geth just started answers "transaction indexing
    is in progress" (it builds its transaction index in the background)."""
    try:
        return node.call("eth_getTransactionReceipt", tx)
    except RuntimeError as e:
        if "indexing is in progress" not in str(e):
            raise
        return None


@contextlib.contextmanager
def running(node: Node) -> Iterator[Node]:
    node.start()
    try:
        yield node
    finally:
        node.stop()


def which_node_modules() -> bool:
    return (ROOT / "node_modules").is_dir() and shutil.which("node") is not None
