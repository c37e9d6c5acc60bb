"""``python -m scripts.consortium up [--dir DIR] [--min-delay S]``: start the loopback consortium,
deploy EvidenceAnchor under the organisations' timelock, write DIR/consortium.json and print the
notary's settings; run until interrupted, then stop every node."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from scripts.consortium import governance, network


def up(workdir: Path, min_delay_s: int) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with network.running(workdir) as net:
        deployment = governance.deploy(
            governance.web3_of(net.validators[0].url),
            net.accounts["deployer"],
            members=[net.accounts[f"gov-{org}"].address for org in network.ORGANISATIONS],
            anchorer=net.accounts["notary"].address,
            min_delay_s=min_delay_s,
        )
        summary: dict[str, Any] = {
            **net.manifest(),
            "contract": deployment.contract,
            "timelock": deployment.timelock,
            "min_delay_s": min_delay_s,
            "confirmations": network.CONFIRMATIONS,
            "notary_env": net.notary_env(deployment.contract),
            "keys": str(workdir / "keys.json"),
        }
        (workdir / "consortium.json").write_text(json.dumps(summary, indent=1))
        print(json.dumps(summary, indent=1), flush=True)
        print(f"running in {workdir}; the anchoring key is 'notary' in keys.json; Ctrl-C stops")
        stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.consortium", description=__doc__)
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--dir", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--min-delay", type=int, default=60, help="timelock delay, seconds")
    args = parser.parse_args(argv)
    if not network.geth_available():
        print(
            f"geth {network.GETH_VERSION} is not built at {network.GETH}: run "
            "scripts/setup/40-geth.sh",
            file=sys.stderr,
        )
        return 2
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="consortium-"))
    workdir.mkdir(parents=True, exist_ok=True)
    up(workdir, args.min_delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
