#!/usr/bin/env python3
"""Compile contracts_sol/EvidenceAnchor.sol into contracts_sol/build/EvidenceAnchor.json, and
OpenZeppelin's TimelockController (the consortium's admin of the contract, docs/deployment.md) into
contracts_sol/build/TimelockController.json.

Uses py-solc-x ``compile_standard`` with a native ``solc`` of the pinned version when one is on the
PATH, else solc-js from node_modules through ``scripts/solcjs_adapter.js`` (no compiler is ever
downloaded). Every source, OpenZeppelin's included, is passed inline under the same source unit
names Hardhat uses, with the settings of ``contracts_sol/compiler.json``, so both build the same
bytecode.

    python scripts/compile_contracts.py           # write the artifacts
    python scripts/compile_contracts.py --check   # exit 1 if a committed artifact is stale
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "EvidenceAnchor"
SOURCE = f"contracts_sol/{CONTRACT}.sol"
#: Each contract built, by name: its source unit (one compilation each).
CONTRACTS = {
    CONTRACT: SOURCE,
    "TimelockController": "@openzeppelin/contracts/governance/TimelockController.sol",
}
BUILD = ROOT / "contracts_sol" / "build"
CONFIG = ROOT / "contracts_sol" / "compiler.json"
ADAPTER = ROOT / "scripts" / "solcjs_adapter.js"
NODE_MODULES = ROOT / "node_modules"

_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*\s+from\s+)?["\']([^"\']+)["\']\s*;', re.MULTILINE)


class CompileError(Exception):
    pass


def _read_unit(name: str) -> str:
    path = NODE_MODULES / name if name.startswith("@") else ROOT / name
    if not path.is_file():
        hint = " (run `npm ci`)" if name.startswith("@") else ""
        raise CompileError(f"source {name} not found at {path}{hint}")
    return path.read_text(encoding="utf-8")


def collect_sources(entry: str = SOURCE) -> dict[str, dict[str, str]]:
    """Every source unit reachable from ``entry``, keyed by its Hardhat source unit name."""
    sources: dict[str, dict[str, str]] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        text = _read_unit(name)
        sources[name] = {"content": text}
        for target in _IMPORT.findall(text):
            relative = target.startswith(".")
            todo.append(
                posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                if relative
                else target
            )
    return dict(sorted(sources.items()))


def solc_binary(version: str) -> Path:
    """A native solc of exactly ``version`` if installed, else the solc-js adapter."""
    native = shutil.which("solc")
    if native:
        try:
            out = subprocess.run(
                [native, "--version"], capture_output=True, text=True, check=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        if f"Version: {version}+" in out:
            return Path(native)
    if shutil.which("node") is None:
        raise CompileError(f"neither solc {version} nor node is installed")
    if not (NODE_MODULES / "solc").is_dir():
        raise CompileError("node_modules/solc is missing: run `npm ci`")
    return ADAPTER


def compile_artifact(contract: str = CONTRACT) -> dict[str, Any]:
    import solcx  # noqa: PLC0415 - only this script needs py-solc-x

    source = CONTRACTS[contract]
    config = json.loads(CONFIG.read_text())
    version, settings = config["version"], config["settings"]
    sources = collect_sources(source)
    standard_input = {"language": "Solidity", "sources": sources, "settings": settings}
    binary = solc_binary(version)
    try:
        output = solcx.compile_standard(standard_input, solc_binary=binary)
    except solcx.exceptions.SolcError as e:
        raise CompileError(str(e).split("\n> command:")[0]) from e
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", str(e)) for e in errors))
    compiled = output["contracts"][source][contract]
    long_version = str(solcx.wrapper.get_version_str_from_solc_binary(binary))
    return {
        "contractName": contract,
        "sourceName": source,
        "compiler": {"version": long_version, "settings": settings},
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the artifact is stale")
    args = parser.parse_args(argv)
    stale = 0
    for contract in CONTRACTS:
        artifact = BUILD / f"{contract}.json"
        try:
            text = render(compile_artifact(contract))
        except CompileError as e:
            print(f"compile_contracts: {e}", file=sys.stderr)
            return 2
        if not args.check:
            artifact.parent.mkdir(parents=True, exist_ok=True)
            artifact.write_text(text)
            print(f"wrote {artifact.relative_to(ROOT)}")
        elif (artifact.read_text() if artifact.exists() else "") != text:
            print(
                f"{artifact.relative_to(ROOT)} is stale: run `python scripts/compile_contracts.py`",
                file=sys.stderr,
            )
            stale = 1
        else:
            print(f"{artifact.relative_to(ROOT)} is up to date")
    return stale


if __name__ == "__main__":
    sys.exit(main())
