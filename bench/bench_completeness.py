"""The completeness proof of a project of 1,000 records: built from the database, then verified,
against hashlib over the same bytes (the SHA-256 calls a verifier cannot avoid)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from api.service.notary import Notary
from api.service.project_proof import build_project_proof, publish_heads
from api.settings import Settings
from api.storage.heads import HeadsStore
from bench._util import best_of, figure, header
from notary.completeness import parse_project_proof, verify_project_proof
from notary.records import Record
from notary.trust import TrustRoot
from notary.verdict import Level

RECORDS = 1_000
#: Other projects' records between each two of the measured project's.
BETWEEN = 19
PROJECT = "XQ-2026-0042"


def _fill(notary: Notary) -> None:
    now = notary.clock()
    for n in range(RECORDS):
        batch = [
            Record(project=f"XQ-2026-{1000 + k}", submitter="bench", data={"k": k}, received_at=now)
            for k in range(BETWEEN)
        ]
        batch.append(
            Record(
                project=PROJECT,
                kind="progress_report",
                data={"n": n, "progress_pct": n % 100, "note": "north culvert"},
                submitter="township",
                received_at=now,
            )
        )
        notary.submit(batch)


def main() -> None:
    header(f"Project completeness proof, {RECORDS:,} records among {RECORDS * (BETWEEN + 1):,}")
    with tempfile.TemporaryDirectory() as tmp:
        notary = Notary.open(Settings(data_dir=Path(tmp), sqlite_synchronous="NORMAL"))
        try:
            _fill(notary)
            checkpoint = notary.publish_checkpoint()
            store = HeadsStore(notary.log.engine)
            heads = publish_heads(notary, store, checkpoint)
            text = b""

            def build() -> None:
                nonlocal text
                proof = build_project_proof(
                    notary.log,
                    store,
                    PROJECT,
                    checkpoint=checkpoint,
                    heads=heads,
                    anchor=None,
                    visible=lambda _: True,
                )
                text = json.dumps(proof.to_json()).encode()

            t_build = best_of(3, build)
            trust = TrustRoot.pin(notary.key.public_key)
            levels = []

            def verify() -> None:
                levels.append(verify_project_proof(parse_project_proof(text), trust=trust).level)

            t_verify = best_of(3, verify)
            assert set(levels) == {Level.LOG_VERIFIED}, levels
            _report(text, t_build, t_verify)
        finally:
            notary.close()


def _report(text: bytes, t_build: float, t_verify: float) -> None:
    doc = json.loads(text)
    entries = [r["entry"].encode() for r in doc["records"]]
    # The proof's subtrees and the leaves are the leaves of one binary tree: it has one inner
    # node fewer, each a SHA-256 of 65 bytes.
    nodes = [bytes(65)] * (len(entries) + len(doc["inclusion_proof"]) - 1)
    sha = hashlib.sha256

    def bound() -> None:  # the leaf and inner-node hashes a verifier must compute, nothing else
        for e in entries:
            sha(b"\x00" + e).digest()
        for x in nodes:
            sha(x).digest()

    t_bound = best_of(5, bound)
    subtrees = len(doc["inclusion_proof"])
    figure("proof document", f"{len(text) / 1024:.0f} KiB", f"{subtrees:,} subtree hashes")
    figure("hashlib bound (leaf + inner-node SHA-256 calls)", f"{t_bound * 1000:.1f} ms")
    figure("build (database → proof document JSON)", f"{t_build * 1000:.1f} ms")
    figure(
        "verify (parse + every check, pinned key)",
        f"{t_verify * 1000:.1f} ms",
        f"{t_verify / t_bound:.1f}x the hashlib bound",
    )
    total = t_build + t_verify
    figure(
        "build + verify",
        f"{total * 1000:.1f} ms",
        f"{total / t_bound:.1f}x the bound (target < 200 ms: {'met' if total < 0.2 else 'MISSED'})",
    )
