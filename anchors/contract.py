"""The compiled EvidenceAnchor (``contracts_sol/build/EvidenceAnchor.json``) and its errors: the
revert data web3 or eth-tester hand back, decoded into a :class:`ContractRevertError`.

The artifact is committed, so nothing here needs Node or a compiler;
``scripts/compile_contracts.py`` rebuilds it and a test fails when it is stale.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from notary.errors import AnchorError, ContractRevertError

__all__ = [
    "ARTIFACT_PATH",
    "artifact",
    "decode_revert",
    "revert_data",
    "revert_error",
    "tester_revert_data",
]

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


def revert_data(e: Exception) -> bytes:
    """The revert data of web3's ``ContractLogicError`` (its ``data``: hex, or a dict holding it);
    empty when it carries none."""
    data: Any = getattr(e, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


def tester_revert_data(e: BaseException) -> bytes | None:
    """Revert data from eth-tester, which raises its own ``TransactionFailed`` (wrapping py-evm's
    ``Revert``) instead of web3's ``ContractLogicError``: as bytes, or (from ``eth_call``) as text
    holding a bytes literal, ``"execution reverted: b'\\x71...'"``. None when ``e`` is no revert."""
    seen: BaseException | None = e
    for _ in range(5):
        if seen is None:
            break
        if type(seen).__name__ in ("TransactionFailed", "Revert") and seen.args:
            arg = seen.args[0]
            if isinstance(arg, bytes):
                return arg
            literal = re.search(r"b'[^']*'|b\"[^\"]*\"", arg) if isinstance(arg, str) else None
            if literal is not None:
                with contextlib.suppress(ValueError, SyntaxError):
                    value = ast.literal_eval(literal.group(0))
                    if isinstance(value, bytes):
                        return value
        seen = seen.__cause__ or seen.__context__
    return None
