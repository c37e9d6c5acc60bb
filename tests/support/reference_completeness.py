"""A deliberately plain re-implementation of the project-proof check, written from
docs/formats.md ("Project proofs") alone: it imports nothing of ``notary`` and recomputes every
hash itself. Used only to test that :func:`notary.completeness.verify_project_proof` agrees with
an independent reading of the format; never fast, never clever.

Limits of this reference: the documents it canonicalises itself (checkpoints, heads statements,
map entries) hold only ASCII strings and integers, so canonical JSON is ``json.dumps`` with sorted
keys; record entries come as their exact text and are hashed as they are. It checks against a
pinned log key and, when given, the manifest CID the chain holds; it has no chain access.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Incomplete(Exception):
    """The document does not prove the project complete; the message says why."""


def _jcs(value: Any) -> bytes:
    def plain(v: Any) -> None:
        if isinstance(v, float):
            raise Incomplete("this reference reads no floating-point numbers")
        if isinstance(v, dict):
            for k, x in v.items():
                if not k.isascii():
                    raise Incomplete("this reference reads ASCII keys only")
                plain(x)
        elif isinstance(v, list):
            for x in v:
                plain(x)

    plain(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """Recompute a root top-down from RFC 6962's definition of PATH (not RFC 9162's loop)."""
    if not 0 <= index < size:
        raise Incomplete(f"index {index} outside a tree of {size}")

    def up(index: int, size: int, path: list[bytes]) -> bytes:
        if size == 1:
            if path:
                raise Incomplete("path too long")
            return leaf
        if not path:
            raise Incomplete("path too short")
        k = _split(size)
        *below, sibling = path
        if index < k:
            return _sha(b"\x01" + up(index, k, below) + sibling)
        return _sha(b"\x01" + sibling + up(index - k, size - k, below))

    return up(index, size, path)


def _root_from_subtrees(leaves: dict[int, bytes], size: int, subtrees: list[bytes]) -> bytes:
    """MTH of the tree from the known leaves, taking the next given subtree hash for every
    subtree of the split that holds none of them (docs/formats.md, "multi-leaf proof")."""
    given = list(reversed(subtrees))

    def mth(begin: int, end: int) -> bytes:
        if not any(begin <= i < end for i in leaves):
            if not given:
                raise Incomplete("the inclusion proof is too short")
            return given.pop()
        if end - begin == 1:
            return leaves[begin]
        k = begin + _split(end - begin)
        return _sha(b"\x01" + mth(begin, k) + mth(k, end))

    root = mth(0, size)
    if given:
        raise Incomplete("the inclusion proof is too long")
    return root


def _raw_cid(data: bytes) -> str:
    digest = bytes([0x01, 0x55, 0x12, 0x20]) + _sha(data)
    return "b" + base64.b32encode(digest).decode().lower().rstrip("=")


def _signed(key: bytes, signature: str, payload: bytes, what: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(base64.b64decode(signature), payload)
    except (InvalidSignature, ValueError) as e:
        raise Incomplete(f"{what} is not signed by the pinned key") from e


def check(doc: dict[str, Any], *, log_key: bytes, manifest_cid: str | None = None) -> str:
    """What ``doc`` proves ("<count> records, head <index>, as of <tree size>"); raise
    :class:`Incomplete` when it proves nothing of the kind."""
    cp, heads = doc["checkpoint"], doc["heads"]
    statement = heads["statement"]
    size, root = cp["tree_size"], bytes.fromhex(cp["root_hash"])
    if cp["log_id"] != hashlib.sha256(log_key).hexdigest():
        raise Incomplete("not the pinned log")
    checkpoint_payload = _jcs(
        {"type": "sunlight-checkpoint/1", **{k: cp[k] for k in cp if k != "signature"}}
    )
    _signed(log_key, cp["signature"], checkpoint_payload, "the checkpoint")
    statement_bytes = _jcs(statement)
    _signed(log_key, heads["signature"], statement_bytes, "the heads statement")
    if statement["type"] != "sunlight-heads/1":
        raise Incomplete("not a heads statement")
    if [statement[k] for k in ("log_id", "tree_size", "root_hash")] != [
        cp["log_id"],
        size,
        cp["root_hash"],
    ]:
        raise Incomplete("the heads statement is of another tree")
    if manifest_cid is not None and _raw_cid(statement_bytes) != manifest_cid:
        raise Incomplete("the heads statement is not the anchored manifest")

    previous_index, previous_leaf = -1, None
    leaves: dict[int, bytes] = {}
    for item in doc["records"]:
        index = item["leaf_index"]
        if index <= previous_index or index >= size:
            raise Incomplete(f"leaf {index} out of order")
        if "entry" in item:
            entry = item["entry"].encode()
            record = json.loads(entry)
            leaf = _sha(b"\x00" + entry)
            if record["project"] != doc["project"]:
                raise Incomplete(f"leaf {index} is of another project")
            if record["prev"] != previous_leaf:
                raise Incomplete(f"leaf {index} does not follow the record before it")
        else:
            leaf = bytes.fromhex(item["leaf_hash"])
        leaves[index] = leaf
        previous_index, previous_leaf = index, leaf.hex()
    subtrees = [bytes.fromhex(h) for h in doc["inclusion_proof"]]
    if leaves and _root_from_subtrees(leaves, size, subtrees) != root:
        raise Incomplete("the records are not in the tree")

    found = doc["map_proof"].get("entry")
    if found is None:
        raise Incomplete("this reference checks projects with records only")
    entry = found["entry"]
    map_leaf = _sha(b"\x00" + _jcs(entry))
    map_path = [bytes.fromhex(h) for h in found["path"]]
    if _root_from_path(
        map_leaf, found["position"], statement["projects"], map_path
    ) != bytes.fromhex(statement["heads_root"]):
        raise Incomplete("the map entry is not in the heads map")
    if entry["project"] != doc["project"]:
        raise Incomplete("the map entry is of another project")
    if entry["count"] != len(doc["records"]):
        raise Incomplete(
            f"the map counts {entry['count']} records, the document has {len(doc['records'])}"
        )
    if (entry["head_index"], entry["head_hash"]) != (previous_index, previous_leaf):
        raise Incomplete("the last record is not the head")
    return f"{entry['count']} records, head {entry['head_index']}, as of {size}"
