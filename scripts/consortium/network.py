"""The consortium's nodes on loopback: three geth clique validators, one per organisation, and one
non-validating node for the public, peered statically (no discovery), on 127.0.0.1 only.

Everything secret is generated at :meth:`Consortium.create` into the work directory (mode 0600) and
never leaves it: the validators' node keys and signer keystores, and the demo accounts (deployer,
the notary's anchoring key, each organisation's governance key). A fresh directory is a new chain.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from web3 import Web3

from scripts.consortium.links import Link

__all__ = [
    "CHAIN_ID",
    "CONFIRMATIONS",
    "GETH",
    "ORGANISATIONS",
    "Consortium",
    "GethNode",
    "geth_available",
    "stop_process",
]

GETH_VERSION = "1.13.15"  # the last geth that seals clique (1.14 removed it)
GETH = Path(
    os.environ.get(
        "SUNLIGHT_GETH_CLIQUE",
        Path.home() / ".cache" / "sunlight" / "bin" / f"geth-{GETH_VERSION}" / "geth",
    )
)
CHAIN_ID = 43_900  # any id no public chain uses
PERIOD_S = 1
#: The validating organisations, in signer order; the first runs the notary.
ORGANISATIONS = ("finance", "audit", "discipline")
PUBLIC = "public"  # the non-validating node the public reads (run by the audit bureau)
#: Blocks an anchor needs, its own included, before it counts as final (docs/chain.md, Clique
#: finality): a branch signed by fewer than SIGNER_LIMIT = N // 2 + 1 of the N signers has at most
#: N // 2 blocks of difficulty <= 2, so 2 * (N // 2) + 1 blocks of difficulty >= 1 outweigh it.
CONFIRMATIONS = 2 * (len(ORGANISATIONS) // 2) + 1
ACCOUNTS = ("deployer", "notary", *(f"gov-{org}" for org in ORGANISATIONS))
_FUNDS = hex(10**24)


def geth_available(geth: Path = GETH) -> bool:
    return geth.is_file() and os.access(geth, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the process that started it dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    """Send ``sig`` to a child that is still running, and wait for it: 30 s, then SIGKILL."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


@dataclass
class GethNode:
    """One node: a validator when it has a ``signer``, else a follower serving reads."""

    name: str
    datadir: Path
    http_port: int
    p2p_port: int
    auth_port: int
    node_key: str  # hex, no 0x
    signer: LocalAccount | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def enode(self, port: int | None = None) -> str:
        """The node's address, at its own p2p port or at ``port`` (a link leading to it)."""
        public = PrivateKey(bytes.fromhex(self.node_key)).public_key.to_hex()[2:]
        return f"enode://{public}@127.0.0.1:{port or self.p2p_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def argv(self, geth: Path, chain_id: int) -> list[str]:
        argv = [
            str(geth),
            "--datadir", str(self.datadir),
            "--config", str(self.datadir / "config.toml"),
            "--networkid", str(chain_id),
            "--syncmode", "full",
            "--nodiscover", "--nat", "none", "--netrestrict", "127.0.0.0/8",
            "--http", "--http.addr", "127.0.0.1", "--http.port", str(self.http_port),
            "--http.api", "eth,net,web3,txpool" if self.signer else "eth,net,web3",
            "--authrpc.addr", "127.0.0.1", "--authrpc.port", str(self.auth_port),
            "--verbosity", os.environ.get("SUNLIGHT_CONSORTIUM_VERBOSITY", "2"),
        ]  # fmt: skip
        if self.signer is not None:
            address = self.signer.address
            argv += [
                "--mine", "--miner.etherbase", address,
                "--unlock", address, "--password", str(self.datadir / "password"),
                "--allow-insecure-unlock",  # HTTP on 127.0.0.1 only; the signer holds no ether
            ]  # fmt: skip
        return argv

    def rpc(self, method: str, *params: Any, timeout: float = 10) -> Any:
        """A JSON-RPC call over HTTP (``eth``/``net``/``web3``/``txpool``)."""
        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": timeout}))
        return _result(method, w3.provider.make_request(method, list(params)))  # type: ignore[arg-type]


def _result(method: str, reply: Any) -> Any:
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


class Consortium:
    """The nodes of one chain in ``workdir``; see the module docstring."""

    def __init__(self, workdir: Path, *, geth: Path = GETH) -> None:
        self.workdir = workdir
        self.geth = geth
        spec = json.loads((workdir / "network.json").read_text())
        secret = json.loads((workdir / "keys.json").read_text())
        self.chain_id: int = spec["chain_id"]
        self._link_ports: dict[str, int] = spec["links"]
        self.links: dict[str, Link] = {}
        self.accounts = {name: Account.from_key(secret[name]) for name in ACCOUNTS}
        self.nodes = {
            n["name"]: GethNode(
                name=n["name"],
                datadir=workdir / n["name"],
                http_port=n["http_port"],
                p2p_port=n["p2p_port"],
                auth_port=n["auth_port"],
                node_key=secret[f"node-{n['name']}"],
                signer=Account.from_key(secret[f"signer-{n['name']}"])
                if n["name"] in ORGANISATIONS
                else None,
            )
            for n in spec["nodes"]
        }

    # --- creating ---------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, workdir: Path, *, geth: Path = GETH, chain_id: int = CHAIN_ID, period_s: int = PERIOD_S
    ) -> Consortium:
        """Generate the keys, the genesis (the three signers, ``period_s`` blocks) and each
        node's data directory and static peers in ``workdir`` (which must not hold a chain)."""
        if (workdir / "network.json").exists():
            raise FileExistsError(f"{workdir} already holds a consortium")
        names = [*ORGANISATIONS, PUBLIC]
        secret = {name: "0x" + secrets.token_hex(32) for name in ACCOUNTS}
        secret |= {f"node-{n}": secrets.token_hex(32) for n in names}
        secret |= {f"signer-{org}": "0x" + secrets.token_hex(32) for org in ORGANISATIONS}
        _write_secret(workdir / "keys.json", json.dumps(secret, indent=1))
        spec = {
            "chain_id": chain_id,
            "period_s": period_s,
            "nodes": [
                {
                    "name": n,
                    "http_port": free_port(),
                    "p2p_port": free_port(),
                    "auth_port": free_port(),
                }
                for n in names
            ],
            "links": {f"{a}>{b}": free_port() for a in names for b in names if a != b},
        }
        (workdir / "network.json").write_text(json.dumps(spec, indent=1))
        net = cls(workdir, geth=geth)
        genesis = net._genesis(period_s)
        (workdir / "genesis.json").write_text(json.dumps(genesis, indent=1))
        inits = [net._prepare(node) for node in net.nodes.values()]
        for init in inits:
            if init.wait(timeout=120) != 0:
                raise RuntimeError(f"geth init failed: {init.args!r}")
        return net

    def _genesis(self, period_s: int) -> dict[str, Any]:
        signers = sorted(str(v.signer.address) for v in self.validators)  # type: ignore[union-attr]
        forks = ["homestead", "eip150", "eip155", "eip158", "byzantium", "constantinople"]
        forks += ["petersburg", "istanbul", "berlin", "london"]  # clique stops before Shanghai
        config: dict[str, Any] = {"chainId": self.chain_id, **{f"{f}Block": 0 for f in forks}}
        config["clique"] = {"period": period_s, "epoch": 30_000}
        extra = "0x" + "00" * 32 + "".join(s[2:].lower() for s in signers) + "00" * 65
        funded = [a.address for a in self.accounts.values()]
        return {
            "config": config,
            "difficulty": "0x1",
            "gasLimit": hex(30_000_000),
            "extraData": extra,
            "alloc": {a[2:].lower(): {"balance": _FUNDS} for a in funded},
        }

    def _prepare(self, node: GethNode) -> subprocess.Popen[bytes]:
        """Write ``node``'s files and start ``geth init`` of its data directory."""
        node.datadir.mkdir(parents=True)
        peers = [
            other.enode(self._link_ports[f"{node.name}>{other.name}"])
            for other in self.nodes.values()
            if other is not node
        ]
        # MaxPeers = the other nodes: geth starts syncing once min(5, MaxPeers) peers are there
        # (else only every 10 s); DialRatio 1 lets it dial all of them; trusted peers are never
        # refused for the limit.
        (node.datadir / "config.toml").write_text(
            "[Node.P2P]\n"
            f"MaxPeers = {len(peers)}\n"
            "DialRatio = 1\n"
            "NoDiscovery = true\n"
            f'ListenAddr = "127.0.0.1:{node.p2p_port}"\n'
            f"StaticNodes = {json.dumps(peers)}\n"
            f"TrustedNodes = {json.dumps(peers)}\n"
        )
        _write_secret(node.datadir / "geth" / "nodekey", node.node_key)
        if node.signer is not None:
            password = secrets.token_hex(16)
            _write_secret(node.datadir / "password", password)
            store = Account.encrypt(node.signer.key, password, kdf="scrypt", iterations=2**14)
            _write_secret(
                node.datadir / "keystore" / f"{node.signer.address.lower()}.json", json.dumps(store)
            )
        return subprocess.Popen(
            [
                str(self.geth),
                "--datadir",
                str(node.datadir),
                "init",
                str(self.workdir / "genesis.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # --- the nodes --------------------------------------------------------------------------------

    @property
    def validators(self) -> list[GethNode]:
        return [self.nodes[org] for org in ORGANISATIONS]

    @property
    def public(self) -> GethNode:
        return self.nodes[PUBLIC]

    def start(self) -> None:
        """Open the links, start every node; return once each has its peers and the chain has a
        block."""
        for pair, port in self._link_ports.items():
            target = self.nodes[pair.split(">")[1]].p2p_port
            self.links[pair] = Link(port, target)
        self.restore()
        self.wait_for_block(1)

    def start_node(self, name: str) -> None:
        """Start ``name`` (if stopped) and return once it answers and has a peer."""
        self._spawn(name)
        self._wait_answering(name)
        self.wait_for_peers(name, 1)

    def _spawn(self, name: str) -> None:
        node = self.nodes[name]
        if node.running:
            return
        with (self.workdir / f"{name}.log").open("ab") as log:
            node.process = subprocess.Popen(
                node.argv(self.geth, self.chain_id),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, before exec
            )

    def _wait_answering(self, name: str) -> None:
        node = self.nodes[name]
        deadline = time.monotonic() + 60
        while True:
            if not node.running:
                raise RuntimeError(f"{name} exited; see {self.workdir / f'{name}.log'}")
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                node.rpc("eth_chainId", timeout=2)
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer at {node.url}")
            time.sleep(0.1)

    def stop_node(self, name: str, *, kill: bool = False) -> None:
        """Stop a node: gracefully (SIGINT), or ``kill`` it as a crash would."""
        node = self.nodes[name]
        if node.process is not None:
            stop_process(node.process, signal.SIGKILL if kill else signal.SIGINT)
        node.process = None

    def stop(self) -> None:
        for name in self.nodes:
            self.stop_node(name)
        for link in self.links.values():
            link.close()
        self.links.clear()

    def restore(self) -> None:
        """Every link mended, every node running and peered with every other, and each at the
        head the chain had when this was called."""
        for link in self.links.values():
            link.mend()
        for node in self.nodes.values():
            self._spawn(node.name)
        for node in self.nodes.values():
            self._wait_answering(node.name)
        for node in self.nodes.values():
            self.wait_for_peers(node.name, len(self.nodes) - 1)
        head = max(int(n.rpc("eth_blockNumber"), 16) for n in self.nodes.values())
        for node in self.nodes.values():
            self.wait_for_block(head, on=node.name)

    def _links_of(self, name: str) -> list[Link]:
        return [link for pair, link in self.links.items() if name in pair.split(">")]

    def partition(self, name: str) -> None:
        """Cut every link to and from ``name``: it runs on, alone (see :mod:`.links`)."""
        for link in self._links_of(name):
            link.cut()

    def heal(self, name: str) -> None:
        """Mend ``name``'s links: what was held flows again, and it rejoins the others."""
        for link in self._links_of(name):
            link.mend()

    def wait_for_peers(self, name: str, count: int, timeout: float = 60) -> None:
        node = self.nodes[name]
        self._wait(
            lambda: int(node.rpc("net_peerCount"), 16) >= count,
            f"{name} to have {count} peers",
            timeout,
        )

    def wait_for_block(self, number: int, *, on: str = PUBLIC, timeout: float = 60) -> None:
        node = self.nodes[on]
        self._wait(
            lambda: int(node.rpc("eth_blockNumber"), 16) >= number,
            f"block {number} on {on}",
            timeout,
        )

    @staticmethod
    def _wait(done: Any, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def notary_env(self, contract: str) -> dict[str, str]:
        """The notary's settings on this chain: its own node first, then the others' in turn."""
        own, *others = self.validators
        return {
            "SUNLIGHT_CHAIN_RPC_URL": own.url,
            "SUNLIGHT_CHAIN_FAILOVER_URLS": ",".join(v.url for v in others),
            "SUNLIGHT_CONTRACT_ADDRESS": contract,
            "SUNLIGHT_ANCHOR_CONFIRMATIONS": str(CONFIRMATIONS),
        }

    def manifest(self) -> dict[str, Any]:
        """What a participant needs to connect (no secrets): chain id, signers, node URLs."""
        return {
            "chain_id": self.chain_id,
            "signers": {v.name: v.signer.address for v in self.validators if v.signer},
            "nodes": {n.name: {"rpc": n.url, "enode": n.enode()} for n in self.nodes.values()},
            "accounts": {name: a.address for name, a in self.accounts.items()},
        }


@contextlib.contextmanager
def running(workdir: Path, *, geth: Path = GETH) -> Iterator[Consortium]:
    """A new consortium in ``workdir``, started; every node stopped on the way out."""
    net = Consortium.create(workdir, geth=geth)
    try:
        net.start()
        yield net
    finally:
        net.stop()
