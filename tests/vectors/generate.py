"""Writes the language-neutral Merkle test vectors in this folder (run: python -m tests.vectors.generate).

Each case folder holds ``happy-path.json`` and mutations named for how they were altered. Every
file has ``"want": "ok"`` or ``"want": "error"``; hashes are lowercase hex. Inclusion files give
``leafHash, leafIdx, treeSize, proof, root``; consistency files ``size1, size2, root1, root2, proof``.

A size mutation can leave the proof valid when the other size gives a tree of the same shape (the
proof fixes only the path's left/right turns; the checkpoint binds root and size). Such mutations
are not attacks and are left out.
"""

import json
import shutil
from pathlib import Path
from typing import Any

from notary.errors import VerificationError
from notary.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

HERE = Path(__file__).parent


def _flip(h: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(h))
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


def _tree(n: int) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(f"entry-{i}".encode() for i in range(n))
    return tree


def inclusion_cases() -> dict[str, dict[str, Any]]:
    out = {}
    for index, size in [(0, 1), (5, 8), (6, 7), (12, 21), (999, 1000)]:
        tree = _tree(size)
        v: dict[str, Any] = {
            "leafHash": leaf_hash(f"entry-{index}".encode()).hex(),
            "leafIdx": index,
            "treeSize": size,
            "proof": [p.hex() for p in tree.inclusion_proof(index, size)],
            "root": tree.root(size).hex(),
        }
        name = f"leaf-{index}-size-{size}"
        cases: dict[str, dict[str, Any] | None] = {"happy-path": v}
        for i, p in enumerate(v["proof"]):
            cases[f"modified-proof[{i}]-bit-@{(7 * i + 3) % 256}"] = {
                **v,
                "proof": [*v["proof"][:i], _flip(p, (7 * i + 3) % 256), *v["proof"][i + 1 :]],
            }
        cases["leafHash-bit-@0"] = {**v, "leafHash": _flip(v["leafHash"], 0)}
        cases["root-bit-@255"] = {**v, "root": _flip(v["root"], 255)}
        cases["leafIdx-plus-1"] = {**v, "leafIdx": index + 1}
        cases["leafIdx-XOR-@1"] = {**v, "leafIdx": index ^ 2}
        cases["leafIdx-negative"] = {**v, "leafIdx": -1}
        cases["leafIdx-equals-treeSize"] = {**v, "leafIdx": size}
        cases["treeSize-plus-1"] = {**v, "treeSize": size + 1}
        cases["treeSize-doubled"] = {**v, "treeSize": size * 2}
        cases["treeSize-2^64"] = {**v, "treeSize": 2**64}
        cases["trailing-garbage"] = {**v, "proof": [*v["proof"], "00" * 32]}
        cases["proof-hash-short"] = {**v, "proof": [p[:62] for p in v["proof"]] or ["00" * 31]}
        cases["root-empty"] = {**v, "root": ""}
        if v["proof"]:
            cases["proof-truncated"] = {**v, "proof": v["proof"][:-1]}
            cases["proof-reversed"] = (
                {**v, "proof": v["proof"][::-1]} if len(v["proof"]) > 1 else None
            )
            cases["proof-empty"] = {**v, "proof": []}
        for k, c in cases.items():
            if c is not None and not (k == "proof-reversed" and c["proof"] == v["proof"]):
                out[f"{name}/{k}"] = {**c, "want": "ok" if k == "happy-path" else "error"}
    return out


def consistency_cases() -> dict[str, dict[str, Any]]:
    out = {}
    for size1, size2 in [(1, 8), (6, 8), (7, 21), (4, 1000), (999, 1000)]:
        tree = _tree(size2)
        v: dict[str, Any] = {
            "size1": size1,
            "size2": size2,
            "root1": tree.root(size1).hex(),
            "root2": tree.root(size2).hex(),
            "proof": [p.hex() for p in tree.consistency_proof(size1, size2)],
        }
        name = f"size-{size1}-to-{size2}"
        cases: dict[str, dict[str, Any]] = {"happy-path": v}
        for i, p in enumerate(v["proof"]):
            cases[f"modified-proof[{i}]-bit-@{(5 * i + 1) % 256}"] = {
                **v,
                "proof": [*v["proof"][:i], _flip(p, (5 * i + 1) % 256), *v["proof"][i + 1 :]],
            }
        cases["root1-bit-@0"] = {**v, "root1": _flip(v["root1"], 0)}
        cases["root2-bit-@128"] = {**v, "root2": _flip(v["root2"], 128)}
        cases["roots-swapped"] = {**v, "root1": v["root2"], "root2": v["root1"]}
        cases["size1-plus-1"] = {**v, "size1": size1 + 1}
        cases["size2-plus-1"] = {**v, "size2": size2 + 1}
        cases["sizes-swapped"] = {**v, "size1": size2, "size2": size1}
        cases["size1-zero-with-proof"] = {**v, "size1": 0}
        cases["size2-2^64"] = {**v, "size2": 2**64}
        cases["trailing-garbage"] = {**v, "proof": [*v["proof"], "00" * 32]}
        cases["proof-truncated"] = {**v, "proof": v["proof"][:-1]}
        cases["proof-empty"] = {**v, "proof": []}
        for k, c in cases.items():
            out[f"{name}/{k}"] = {**c, "want": "ok" if k == "happy-path" else "error"}
    return out


def _still_valid(kind: str, c: dict[str, Any]) -> bool:
    def h(x: object) -> bytes:
        try:
            return bytes.fromhex(str(x))
        except ValueError:
            return b""

    try:
        if kind == "inclusion":
            verify_inclusion(
                h(c["leafHash"]),
                c["leafIdx"],
                c["treeSize"],
                [h(p) for p in c["proof"]],
                h(c["root"]),
            )
        else:
            verify_consistency(
                c["size1"],
                c["size2"],
                h(c["root1"]),
                h(c["root2"]),
                [h(p) for p in c["proof"]],
            )
    except VerificationError:
        return False
    return True


def main() -> None:
    for kind, cases in (("inclusion", inclusion_cases()), ("consistency", consistency_cases())):
        shutil.rmtree(HERE / kind, ignore_errors=True)
        for key, case in cases.items():
            if case["want"] == "error" and _still_valid(kind, case):
                continue
            path = HERE / kind / f"{key}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(case, indent=1) + "\n")


if __name__ == "__main__":
    main()
