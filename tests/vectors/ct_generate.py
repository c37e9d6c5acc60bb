"""Writes tests/vectors/ct/rfc6962.json for the Hardhat tests.

Run: ``python -m tests.vectors.ct_generate``.

- ``ct``: the Certificate Transparency test vectors (the eight leaves of RFC 6962's reference
  tests):
  the root of every size 1..8, every inclusion proof and every consistency proof, all computed with
  :mod:`notary.merkle` and the roots checked against the values published with those vectors.
- ``chain``: a log of 1000 entries ``entry-<i>`` anchored at growing sizes, each with its
  consistency proof from the previous size, and a fork of it for the attacks (entry 300,
  already anchored at size 513, rewritten).
"""

import json
from pathlib import Path

from notary.merkle import MerkleTree, leaf_hash

OUT = Path(__file__).parent / "ct" / "rfc6962.json"

CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
#: Published with the CT vectors (certificate-transparency merkle_tree_test): MTH of the first n.
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CHAIN_SIZES = [1, 3, 4, 8, 100, 513, 1000]


def _hex(hashes: list[bytes]) -> list[str]:
    return ["0x" + h.hex() for h in hashes]


def ct_vectors() -> dict[str, object]:
    tree = MerkleTree()
    for leaf in CT_LEAVES:
        tree.append(bytes.fromhex(leaf))
    roots = [tree.root(n).hex() for n in range(1, 9)]
    assert roots == CT_ROOTS, "notary.merkle disagrees with the published CT roots"
    return {
        "leaves": CT_LEAVES,
        "leafHashes": _hex([leaf_hash(bytes.fromhex(x)) for x in CT_LEAVES]),
        "roots": ["0x" + r for r in roots],
        "inclusion": [
            {"index": i, "size": n, "proof": _hex(tree.inclusion_proof(i, n))}
            for n in range(1, 9)
            for i in range(n)
        ],
        "consistency": [
            {"size1": m, "size2": n, "proof": _hex(tree.consistency_proof(m, n))}
            for n in range(1, 9)
            for m in range(1, n + 1)
        ],
    }


def chain_vectors() -> dict[str, object]:
    tree, fork = MerkleTree(), MerkleTree()
    entries = [f"entry-{i}".encode() for i in range(1000)]
    tree.extend(entries)
    fork.extend([b"rewritten" if i == 300 else e for i, e in enumerate(entries)])
    steps = []
    previous = 0
    for n in CHAIN_SIZES:
        steps.append(
            {
                "size": n,
                "root": "0x" + tree.root(n).hex(),
                "proof": _hex(tree.consistency_proof(previous, n)) if previous else [],
            }
        )
        previous = n
    return {
        "steps": steps,
        "leaf600": "0x" + leaf_hash(entries[600]).hex(),
        "inclusion600": _hex(tree.inclusion_proof(600, 1000)),
        "forkRoot1000": "0x" + fork.root(1000).hex(),
        "forkProof513to1000": _hex(fork.consistency_proof(513, 1000)),
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"ct": ct_vectors(), "chain": chain_vectors()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
