"""The compiled EvidenceAnchor (``contracts_sol/build/EvidenceAnchor.json``) and its errors.

The artifact is committed, so nothing here needs Node or a compiler;
``scripts/compile_contracts.py`` rebuilds it and a test fails when it is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from notary.errors import AnchorError, ContractRevertError

__all__ = ["ARTIFACT_PATH", "artifact", "decode_revert", "revert_error"]

ARTIFACT_PATH = (
    Path(__file__).resolve().parent.parent / "contracts_sol" / "build" / "EvidenceAnchor.json"
)

#: What each custom error means for the person reading it, and what to do.
_EXPLAIN: dict[str, str] = {
    "EvidenceAnchorInconsistentCheckpoint": (
        "the checkpoint does not extend the one anchored on chain (size {0} -> {1}): the log's "
        "history differs from what was anchored; run `sunlight audit` and do not anchor this log"
    ),
    "EvidenceAnchorSizeNotIncreasing": (
        "tree size {1} is not larger than the latest anchored size {0}: it is already anchored"
    ),
    "EvidenceAnchorBadProofLength": ("the consistency proof has {1} hashes where {0} are needed"),
    "EvidenceAnchorZeroRoot": "the root hash is zero",
    "EvidenceAnchorManifestTooLong": "the manifest CID has {0} bytes; at most {1} are allowed",
    "AccessControlUnauthorizedAccount": (
        "account {0} lacks the role {1} on the contract: grant it ANCHORER_ROLE "
        "(`grantRole`) from the admin account"
    ),
    "Error": "reverted: {0}",
    "Panic": "panicked with code {0}",
}


@cache
def artifact() -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(ARTIFACT_PATH.read_text())
    except (OSError, ValueError) as e:
        raise AnchorError(
            f"cannot read the contract artifact {ARTIFACT_PATH}: run scripts/compile_contracts.py"
        ) from e
    return data


@cache
def _errors() -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {
        bytes.fromhex("08c379a0"): ("Error", ["string"]),
        bytes.fromhex("4e487b71"): ("Panic", ["uint256"]),
    }
    for item in artifact()["abi"]:
        if item.get("type") != "error":
            continue
        types = [str(i["type"]) for i in item["inputs"]]
        selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
        table[selector] = (str(item["name"]), types)
    return table


def decode_revert(data: bytes) -> tuple[str, tuple[Any, ...]] | None:
    """The custom error (name, arguments) encoded in revert data; None if unknown or garbled."""
    if len(data) < 4:
        return None
    known = _errors().get(bytes(data[:4]))
    if known is None:
        return None
    name, types = known
    try:
        args = tuple(abi_decode(types, bytes(data[4:])))
    except Exception:
        return None
    return name, args


def _fmt(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def revert_error(data: bytes, *, context: str) -> ContractRevertError:
    """A :class:`ContractRevertError` with a clear message for revert ``data``."""
    decoded = decode_revert(data)
    if decoded is None:
        detail = f"reverted without a known error (data 0x{bytes(data).hex()[:200]})"
        return ContractRevertError(f"{context}: {detail}")
    name, args = decoded
    text = _EXPLAIN.get(name, name + "({})").format(
        *[_fmt(a) for a in args], ", ".join(map(_fmt, args))
    )
    return ContractRevertError(f"{context}: {name}: {text}", error=name, args=args)
