"""Coverage-guided fuzzing (atheris / libFuzzer) of the proof-bundle parser and verifier.

The property: for any bytes, ``parse_bundle`` returns a bundle or raises
:class:`~notary.errors.MalformedProofError`, and ``verify_bundle`` on what parses returns a report
— it never raises. Any other exception is a crash libFuzzer reports, with the input saved.

Run for a bounded time (libFuzzer flags pass through)::

    .venv/bin/python tests/fuzz/atheris_bundle.py -max_total_time=60
    .venv/bin/python tests/fuzz/atheris_bundle.py -runs=100000 my_corpus/

Without a corpus directory it starts from ``tests/fuzz/corpus/bundle`` (real bundles, written by
``--write-seeds``), copied to a temporary directory so the fuzzer's finds stay out of the tree.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parent / "corpus" / "bundle"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fuzz.json_paths import paths, replaced, value_at  # noqa: E402 - after sys.path

with atheris.instrument_imports(include=["notary"]):
    from notary.bundle import parse_bundle, verify_bundle
    from notary.chainview import AnchorTx
    from notary.errors import MalformedProofError
    from notary.trust import TrustedChain, TrustRoot

_CHAIN = TrustedChain(chain_id=1337, contract="0x" + "ab" * 20)


class _Chain:
    """A chain reader whose answer the fuzzer chooses (absent, or 32 bytes from the input)."""

    def __init__(self, root: bytes | None) -> None:
        self.root = root

    chain_id = _CHAIN.chain_id
    contract_address = _CHAIN.contract

    def root_at(self, tree_size: int) -> bytes | None:
        return self.root

    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        root = self.root or b""
        return AnchorTx(tx_hash, 1, len(root), "0x" + root.hex(), ((len(root), root),))

    def block_hash(self, number: int) -> str | None:
        return "0x" + (self.root or b"").hex()

    def block_number(self) -> int:
        return 40


def test_one_input(data: bytes) -> None:
    try:
        bundle = parse_bundle(data)
    except MalformedProofError:
        return
    verify_bundle(bundle)
    if len(data) >= 32:
        trust = TrustRoot.pin(data[:32], chain=_CHAIN)
        verify_bundle(bundle, trust=trust, chain=_Chain(data[-32:]))


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """Half the time, a structure-aware mutation: one value of the JSON document replaced by a
    libFuzzer mutation of its own JSON text (so the document stays JSON and the fuzzer reaches the
    checks behind the parser); otherwise libFuzzer's byte mutations."""
    rng = random.Random(seed)
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        doc = None
    if doc is None or rng.random() < 0.5:
        return bytes(atheris.Mutate(data, max_size))
    path = rng.choice(paths(doc))
    text = json.dumps(value_at(doc, path)).encode()
    try:
        new = json.loads(atheris.Mutate(text, max(len(text) * 2, 64)))
    except (ValueError, RecursionError):
        new = rng.choice([None, 0, -1, 2**64, "", [], {}, "0" * 64, True])
    doc = replaced(doc, path, new)
    out = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    return out[:max_size]


def write_seeds(directory: Path) -> None:
    """Real bundles: records with and without files, at several leaves of logs of several sizes,
    anchored and not, from the same code the service uses."""
    import hashlib

    from notary.bundle import make_bundle
    from notary.chainview import Anchor
    from notary.merkle import MerkleTree
    from notary.records import Content, Record
    from notary.signing import NotaryKey

    key = NotaryKey.from_seed(hashlib.sha256(b"sunlight fuzz seed key").digest())
    directory.mkdir(parents=True, exist_ok=True)
    for size, index in ((1, 0), (5, 3), (13, 12), (64, 17)):
        tree, entries = MerkleTree(), list[bytes]()
        for i in range(size):
            body = f"file {i}".encode()
            record = Record(
                project="XQ-2026-0042" if i % 2 else None,
                stage="implementation" if i % 2 else None,
                kind="site_photo" if i % 3 else "payment_request",
                content=Content(
                    sha256=hashlib.sha256(body).hexdigest(),
                    size=len(body),
                    media_type="image/jpeg",
                    name=f"照片-{i}.jpg",
                )
                if i % 4
                else None,
                data={"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8}, "amount": i * 1000},
                submitter="township",
                prev=hashlib.sha256(b"\x00" + entries[-1]).hexdigest() if entries else None,
                client_time="2026-11-23T08:01:02+08:00",
                received_at="2026-11-23T00:01:03.123456Z",
            )
            entries.append(record.canonical())
            tree.append(entries[-1])
        checkpoint = key.sign_checkpoint(size, tree.root(), "2026-11-23T00:10:00Z")
        anchor = Anchor(
            chain_id=1337,
            contract="0x" + "5f" * 20,
            tx_hash="0x" + hashlib.sha256(b"tx%d" % size).hexdigest(),
            block_number=size,
            block_hash="0x" + hashlib.sha256(b"block%d" % size).hexdigest(),
        )
        bundle = make_bundle(
            entry=entries[index],
            leaf_index=index,
            checkpoint=checkpoint,
            inclusion_proof=tree.inclusion_proof(index, size),
            anchor=anchor if size % 2 else None,
            log_public_key=key.public_key,
        )
        text = json.dumps(bundle.to_json(), ensure_ascii=False, indent=None)
        (directory / f"bundle-{size}-{index}.json").write_text(text + "\n", encoding="utf-8")


def main(argv: list[str]) -> None:
    if "--write-seeds" in argv:
        write_seeds(SEEDS)
        return
    if not any(not a.startswith("-") for a in argv[1:]):
        corpus = Path(tempfile.mkdtemp(prefix="sunlight-atheris-"))
        for seed in sorted(SEEDS.glob("*.json")):
            shutil.copy(seed, corpus / seed.name)
        argv = [*argv, str(corpus)]
    atheris.Setup(argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
