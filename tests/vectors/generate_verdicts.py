"""Writes the signature and verdict vectors (run: ``python -m tests.vectors.generate_verdicts``).

- ``signatures/<object>/<case>.json``: receipts, checkpoints and party record signatures with the
  exact bytes signed, each happy path beside mutations named for how they were altered; a
  ``key_registration`` record with its entry and leaf hash.
- ``verdicts/<attack>.json``: a proof bundle judged against a trust root the verifier chose (and,
  for the chain cases, a recorded chain state), with the verdict level and every check's outcome.

Everything is deterministic: keys come from fixed seeds (SHA-256 of a label), timestamps are
fixed, Ed25519 signatures are deterministic, files are JSON with sorted keys. Regenerating writes
identical bytes; ``tests/unit/notary/test_verdict_vectors.py`` regenerates in memory and compares.
The formats are specified in docs/formats.md ("Test vectors").
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eth_utils.address import to_checksum_address

from notary.bundle import KeyProof, make_bundle, parse_bundle, verify_bundle
from notary.chainview import Anchor, AnchorTx
from notary.digests import ContentDigest
from notary.keys import registration_data
from notary.merkle import MerkleTree, leaf_hash
from notary.records import (
    Content,
    Record,
    RecordSignature,
    canonical_json,
    parse_record,
    signing_payload,
)
from notary.signing import Checkpoint, NotaryKey, Receipt
from notary.trust import parse_trust_root
from tests.support.recorded_chain import RecordedChain
from tests.vectors.generate_algs import algorithm_vectors

HERE = Path(__file__).parent
DIRS = ("signatures", "verdicts")


def render(doc: dict[str, Any]) -> str:
    """The text of a vector file: JSON, sorted keys, one-space indent (a short list of scalars on
    one line), UTF-8, final newline."""
    return _render(doc, 0) + "\n"


def _render(value: Any, level: int) -> str:
    pad = " " * level
    if isinstance(value, dict) and value:
        items = [
            f"{pad} {json.dumps(k, ensure_ascii=False)}: {_render(value[k], level + 1)}"
            for k in sorted(value)
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        flat = json.dumps(value, ensure_ascii=False)
        if len(flat) <= 80 and not any(isinstance(v, dict | list) for v in value):
            return flat
        items = [f"{pad} {_render(v, level + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"sunlight test vectors: {label}".encode()).digest()


def _hex(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass(frozen=True)
class _Signer:
    """An Ed25519 key from a fixed seed: a log's notary key or a party's signing key."""

    label: str

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(_seed(self.label))

    @property
    def notary(self) -> NotaryKey:
        return NotaryKey.from_seed(_seed(self.label))

    @property
    def public_key(self) -> bytes:
        return self.notary.public_key

    def sign(self, payload: bytes) -> str:
        return _b64(self.private.sign(payload))


LOG = _Signer("log key of the example county")
SECOND_LOG = _Signer("log key of a second, real Sunlight instance")
FORGER = _Signer("a forger's own key")
TOWNSHIP_T1 = _Signer("party township, key t1")
TOWNSHIP_T2 = _Signer("party township, key t2")
CONTRACTOR_C1 = _Signer("party contractor, key c1 (never registered)")

CHAIN_ID = 1337
CONTRACT = to_checksum_address("0x" + _hex("EvidenceAnchor of the example county")[:40])
SECOND_CONTRACT = to_checksum_address("0x" + _hex("EvidenceAnchor of the second log")[:40])
FORGER_CONTRACT = to_checksum_address("0x" + _hex("the forger's own EvidenceAnchor")[:40])
EARLIER_TX, TX, SECOND_TX, FORGED_TX = (
    "0x" + _hex(f"tx {n}") for n in ("anchor 3", "anchor 7", "second log", "forged")
)
BLOCKS = {n: "0x" + _hex(f"block {n}") for n in (9, 12, 13)}

FILE = "北涵洞 north culvert, photo 1 of 3\n".encode()
OTHER_FILE = "北涵洞 north culvert, photo 1 of 3 (retouched)\n".encode()
PROJECT = "XQ-2026-0042"


def _time(minute: int) -> str:
    return f"2026-11-23T00:{minute:02d}:03.{minute * 1111:06d}Z"


def _signed(
    record: Record, party: str, key_id: str, signer: _Signer, *, over: Record | None = None
) -> Record:
    """``record`` signed by ``party`` with ``signer`` (over ``over``'s payload when given)."""
    sig = RecordSignature(
        party=party,
        alg="ed25519",
        key_id=key_id,
        sig=signer.sign(signing_payload(over or record, party)),
    )
    return Record.model_validate({**record.to_json(), "signatures": [sig.model_dump()]})


def _genuine_records() -> list[Record]:
    """The example county's log: two key registrations and five records of one project."""
    reg_t1 = Record(
        kind="key_registration",
        data=registration_data("township", "t1", TOWNSHIP_T1.public_key),
        submitter="admin",
        received_at=_time(10),
    )
    photo = Record(
        project=PROJECT,
        stage="notice",
        kind="site_photo",
        content=Content(
            sha256=hashlib.sha256(FILE).hexdigest(),
            size=len(FILE),
            media_type="image/jpeg",
            name="北涵洞.jpg",
        ),
        data={"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8}},
        submitter="township",
        client_time="2026-11-23T08:11:00+08:00",
        received_at=_time(11),
    )
    payment = Record(
        project=PROJECT,
        stage="settlement",
        kind="payment_request",
        data={"amount_cny": 128000, "invoice": "INV-2026-007"},
        submitter="township",
        received_at=_time(12),
    )
    acceptance = Record(
        project=PROJECT,
        stage="implementation",
        kind="acceptance_certificate",
        data={"result": "验收合格 accepted"},
        submitter="contractor",
        received_at=_time(13),
    )
    inspection = Record(
        project=PROJECT,
        stage="implementation",
        kind="site_inspection",
        data={"inspector": "township", "finding": "culvert complete"},
        submitter="township",
        received_at=_time(14),
    )
    notice = Record(
        project=PROJECT,
        stage="notice",
        kind="public_notice",
        data={"text": "settlement of XQ-2026-0042"},
        submitter="township",
        received_at=_time(15),
    )
    reg_t2 = Record(
        kind="key_registration",
        data=registration_data("township", "t2", TOWNSHIP_T2.public_key),
        submitter="admin",
        received_at=_time(16),
    )
    records = [
        reg_t1,
        photo,
        _signed(payment, "township", "t1", TOWNSHIP_T1),
        _signed(acceptance, "contractor", "c1", CONTRACTOR_C1),
        # Signed over another project's payload: the signature does not verify for this record.
        _signed(
            inspection,
            "township",
            "t1",
            TOWNSHIP_T1,
            over=inspection.model_copy(update={"project": "XQ-2026-0041"}),
        ),
        _signed(notice, "township", "t2", TOWNSHIP_T2),
        reg_t2,
    ]
    # Each project is a hash chain: prev is the leaf hash of the project's previous record.
    prev: str | None = None
    chained = []
    for record in records:
        if record.project is not None:
            record = record.model_copy(update={"prev": prev})  # noqa: PLW2901
            prev = leaf_hash(record.canonical()).hex()
        chained.append(record)
    return chained


@dataclass(frozen=True)
class _Log:
    signer: _Signer
    entries: list[bytes]
    checkpoint_time: str

    @property
    def tree(self) -> MerkleTree:
        tree = MerkleTree()
        tree.extend(self.entries)
        return tree

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        tree = self.tree
        size = tree.size if size is None else size
        return self.signer.notary.sign_checkpoint(size, tree.root(size), self.checkpoint_time)

    def bundle(
        self, index: int, *, anchor: Anchor | None = None, key_leaves: Sequence[int] = ()
    ) -> dict[str, Any]:
        tree, cp = self.tree, self.checkpoint()
        proofs = [
            KeyProof(
                record=json.loads(self.entries[leaf]),
                leaf_index=leaf,
                inclusion_proof=[p.hex() for p in tree.inclusion_proof(leaf, cp.tree_size)],
            )
            for leaf in key_leaves
        ]
        return make_bundle(
            entry=self.entries[index],
            leaf_index=index,
            checkpoint=cp,
            inclusion_proof=tree.inclusion_proof(index, cp.tree_size),
            anchor=anchor,
            log_public_key=self.signer.public_key,
            key_proofs=proofs,
        ).to_json()


RECORDS = _genuine_records()
GENUINE = _Log(LOG, [r.canonical() for r in RECORDS], "2026-11-23T00:20:00Z")
ANCHOR = Anchor(
    chain_id=CHAIN_ID, contract=CONTRACT, tx_hash=TX, block_number=12, block_hash=BLOCKS[12]
)


def _anchor(**changes: Any) -> Anchor:
    return ANCHOR.model_copy(update=changes)


def trust_doc(*, chain: bool = False, log: bool = True, confirmations: int = 2) -> dict[str, Any]:
    """A ``sunlight-trust/1`` document. The contract is written in lowercase: addresses compare
    case-insensitively, and the bundles carry the EIP-55 form the server writes."""
    named = {"chain_id": CHAIN_ID, "contract": CONTRACT.lower(), "confirmations": confirmations}
    doc: dict[str, Any] = {"format": "sunlight-trust/1"}
    if log:
        entry: dict[str, Any] = {
            "name": "Example county",
            "public_key": _b64(LOG.public_key),
            "log_id": LOG.notary.log_id,
        }
        if chain:
            entry["chain"] = named
        doc["logs"] = [entry]
    elif chain:
        doc["chains"] = [named]
    return doc


def genuine_chain(
    *, head: int = 13, tx: dict[str, Any] | None = None, blocks: dict[int, str] | None = None
) -> dict[str, Any]:
    """What a node of the trusted chain says of our contract: size 3 anchored in block 9, size 7
    in block 12."""
    tree = GENUINE.tree
    txs = {
        EARLIER_TX: AnchorTx(EARLIER_TX, 1, 9, BLOCKS[9], ((3, tree.root(3)),)),
        TX: AnchorTx(TX, 1, 12, BLOCKS[12], ((7, tree.root(7)),)),
    }
    if tx is not None:
        txs[TX] = replace(txs[TX], **tx)
    return RecordedChain(
        chain_id=CHAIN_ID,
        contract_address=CONTRACT,
        head=head,
        blocks={**{n: BLOCKS[n] for n in BLOCKS if n <= head}, **(blocks or {})},
        roots={3: tree.root(3), 7: tree.root(7)},
        txs=txs,
    ).to_json()


def _other_chain(
    *, chain_id: int, contract: str, size: int, root: bytes, tx: str = FORGED_TX
) -> dict[str, Any]:
    """A chain state in which ``contract`` anchored ``root`` at ``size`` in block 12."""
    return RecordedChain(
        chain_id=chain_id,
        contract_address=contract,
        head=13,
        blocks={12: BLOCKS[12], 13: BLOCKS[13]},
        roots={size: root},
        txs={tx: AnchorTx(tx, 1, 12, BLOCKS[12], ((size, root),))},
    ).to_json()


def _forged_log() -> _Log:
    """A record never notarized, in a one-leaf tree, under a checkpoint the forger signed."""
    record = Record(
        project=PROJECT,
        stage="settlement",
        kind="payment_request",
        data={"amount_cny": 990000, "invoice": "INV-2026-007"},
        submitter="township",
        received_at=_time(12),
    )
    return _Log(FORGER, [record.canonical()], "2026-11-23T00:20:00Z")


def _second_log() -> _Log:
    """Another real Sunlight instance (its own key): a genuine log, just not ours."""
    records = [
        Record(
            project="YZ-2026-0007",
            kind="document",
            data={"n": i},
            submitter="village-committee",
            received_at=_time(30 + i),
        )
        for i in range(3)
    ]
    return _Log(SECOND_LOG, [r.canonical() for r in records], "2026-11-23T00:40:00Z")


def _forked_log() -> _Log:
    """Our log with the payment's amount rewritten, re-signed with our (stolen) key."""
    entries = list(GENUINE.entries)
    record = json.loads(entries[2])
    record["data"]["amount_cny"] = 990000
    entries[2] = canonical_json(record)
    return _Log(LOG, entries, GENUINE.checkpoint_time)


def _edit(bundle: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(bundle))
    target = out
    *parents, last = path.split(".")
    for p in parents:
        target = target[p]
    target[last] = value
    return out


# --- verdicts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    name: str
    description: str
    trust: dict[str, Any] | None
    bundle: dict[str, Any]
    level: str
    failed: str | None
    file: bytes | None = None
    chain: dict[str, Any] | None = None


def _verdict_cases() -> list[_Case]:
    pinned, pinned_chain, chain_only = (
        trust_doc(),
        trust_doc(chain=True),
        trust_doc(log=False, chain=True),
    )
    genuine = GENUINE.bundle(1, anchor=ANCHOR)
    forged, second, forked = _forged_log(), _second_log(), _forked_log()
    forged_root = forged.tree.root()
    cases = [
        _Case(
            "genuine-pinned-key",
            "A genuine bundle, its file, and the log key pinned by the verifier: verified by the "
            "log. No chain is named, so the anchor is not checked.",
            pinned,
            genuine,
            "verified_by_log",
            None,
            file=FILE,
        ),
        _Case(
            "genuine-no-trust-root",
            "A genuine bundle checked against no trust root: self-consistent, but nothing says "
            "whose log it is (a forged bundle looks exactly the same).",
            None,
            genuine,
            "not_authenticated",
            None,
        ),
        _Case(
            "genuine-file-differs",
            "A genuine bundle with another file than the one it notarizes.",
            pinned,
            genuine,
            "not_verified",
            "file",
            file=OTHER_FILE,
        ),
        _Case(
            "forged-from-nothing-no-trust-root",
            "A record never notarized, a one-leaf tree, a checkpoint signed with a fresh key the "
            "forger puts in log_public_key. Without a trust root it is not authenticated, never "
            "verified.",
            None,
            forged.bundle(0),
            "not_authenticated",
            None,
        ),
        _Case(
            "forged-from-nothing-genuine-key-pinned",
            "The same forgery, checked by a verifier who pinned the genuine log key: not from "
            "this log.",
            pinned,
            forged.bundle(0),
            "not_verified",
            "log",
        ),
        _Case(
            "second-log-checkpoint",
            "A genuine bundle of a second, real Sunlight instance (its own key and contract), "
            "checked against our pinned key: not from this log.",
            pinned,
            second.bundle(
                1,
                anchor=_anchor(contract=SECOND_CONTRACT, tx_hash=SECOND_TX),
            ),
            "not_verified",
            "log",
        ),
        _Case(
            "checkpoint-root-bit-flipped",
            "The checkpoint's root_hash altered (last bit): the inclusion proof no longer "
            "leads to it.",
            pinned,
            _edit(
                genuine,
                "checkpoint.root_hash",
                _flip_last_bit(genuine["checkpoint"]["root_hash"]),
            ),
            "not_verified",
            "inclusion",
        ),
        _Case(
            "checkpoint-root-of-a-forged-tree",
            "The forger rebuilt the tree with an altered record (inclusion holds) and kept the "
            "genuine checkpoint signature: it does not sign that root.",
            pinned,
            _edit(forked.bundle(2), "checkpoint.signature", GENUINE.checkpoint().signature),
            "not_verified",
            "checkpoint_signature",
        ),
        _Case(
            "checkpoint-size-changed",
            "tree_size 7 changed to 8: the proof of leaf 1 has the same shape in both trees, so "
            "inclusion still holds; the signature binds the size.",
            pinned,
            _edit(genuine, "checkpoint.tree_size", 8),
            "not_verified",
            "checkpoint_signature",
        ),
        _Case(
            "checkpoint-signed-by-another-key",
            "The genuine checkpoint re-signed by the forger's key (log_id and log_public_key "
            "unchanged): the pinned key refuses the signature.",
            pinned,
            _edit(
                genuine,
                "checkpoint.signature",
                FORGER.sign(GENUINE.checkpoint().payload()),
            ),
            "not_verified",
            "checkpoint_signature",
        ),
        _Case(
            "record-amount-changed",
            "The record's data.amount_cny changed in the bundle; the leaf hash left as it was.",
            pinned,
            _edit(GENUINE.bundle(2, key_leaves=[0]), "record.data.amount_cny", 990000),
            "not_verified",
            "leaf_hash",
        ),
        _Case(
            "record-amount-changed-leaf-hash-recomputed",
            "The record's data.amount_cny changed and the leaf hash recomputed: the leaf is not "
            "in the tree.",
            pinned,
            forked.bundle(2) | {"checkpoint": GENUINE.checkpoint().model_dump()},
            "not_verified",
            "inclusion",
        ),
        _Case(
            "party-signature-key-registered",
            "A record signed by township (key t1) with a key_proofs entry proving the key's "
            "registration at leaf 0, before the record: the signature counts.",
            pinned,
            GENUINE.bundle(2, key_leaves=[0]),
            "verified_by_log",
            None,
        ),
        _Case(
            "party-signature-without-key-proof",
            "The same signed record without key_proofs: the signature is decorative, reported "
            "not checked (never as passed); the bundle is still verified by the log.",
            pinned,
            GENUINE.bundle(2),
            "verified_by_log",
            None,
        ),
        _Case(
            "party-signature-key-registered-after-record",
            "A record (leaf 5) signed with key t2, whose registration is at leaf 6: a key "
            "registered after the record proves nothing about it.",
            pinned,
            GENUINE.bundle(5, key_leaves=[6]),
            "not_verified",
            "key_proof@6",
        ),
        _Case(
            "party-signature-unregistered-key",
            "A record signed by contractor with key c1, which no registration in the bundle "
            "proves (the proof of township/t1 does not help): not checked.",
            pinned,
            GENUINE.bundle(3, key_leaves=[0]),
            "verified_by_log",
            None,
        ),
        _Case(
            "party-signature-does-not-verify",
            "A record signed with the registered key t1, but over another project's payload "
            "(signature moved from XQ-2026-0041): the signature fails.",
            pinned,
            GENUINE.bundle(4, key_leaves=[0]),
            "not_verified",
            "signature:township/t1",
        ),
        # --- chain cases ---------------------------------------------------------------------
        _Case(
            "anchored-genuine",
            "A genuine bundle, the log key and chain pinned, and the trusted chain: rootAt(7) is "
            "the root, the transaction succeeded in a canonical block with 2 confirmations and "
            "emitted CheckpointAnchored(7, root).",
            pinned_chain,
            genuine,
            "anchored",
            None,
            file=FILE,
            chain=genuine_chain(),
        ),
        _Case(
            "anchored-genuine-trusted-chain-only",
            "The verifier names only the chain and contract (no log key): the anchored root "
            "authenticates the bundle.",
            chain_only,
            genuine,
            "anchored",
            None,
            chain=genuine_chain(),
        ),
        _Case(
            "anchored-on-another-chain-id",
            "The genuine root anchored by someone at the same contract address on chain 5: not "
            "the trusted chain.",
            pinned_chain,
            _edit(genuine, "anchor.chain_id", 5),
            "not_verified",
            "anchor",
            chain=_other_chain(
                chain_id=5, contract=CONTRACT, size=7, root=GENUINE.tree.root(), tx=TX
            ),
        ),
        _Case(
            "anchored-in-forgers-contract",
            "The genuine root anchored in the forger's own contract on the same chain: the "
            "trust root names ours.",
            pinned_chain,
            _edit(genuine, "anchor.contract", FORGER_CONTRACT),
            "not_verified",
            "anchor",
            chain=_other_chain(
                chain_id=CHAIN_ID, contract=FORGER_CONTRACT, size=7, root=GENUINE.tree.root(), tx=TX
            ),
        ),
        _Case(
            "forged-from-nothing-anchored-in-forgers-contract",
            "The forged bundle, really anchored in the forger's own contract on the trusted "
            "chain, checked by a verifier who trusts only our chain and contract.",
            chain_only,
            forged.bundle(0, anchor=_anchor(contract=FORGER_CONTRACT, tx_hash=FORGED_TX)),
            "not_verified",
            "anchor",
            chain=_other_chain(
                chain_id=CHAIN_ID, contract=FORGER_CONTRACT, size=1, root=forged_root
            ),
        ),
        _Case(
            "forged-from-nothing-claims-our-contract",
            "The forged bundle claims an anchor in our contract: rootAt(1) was never anchored.",
            chain_only,
            forged.bundle(0, anchor=_anchor(tx_hash=FORGED_TX)),
            "not_verified",
            "anchor",
            chain=genuine_chain(),
        ),
        _Case(
            "forked-checkpoint-signed-by-stolen-key",
            "A forked tree (amount rewritten) signed with the genuine notary key, naming the "
            "genuine anchor: rootAt(7) on chain is the original root.",
            pinned_chain,
            forked.bundle(2, anchor=ANCHOR),
            "not_verified",
            "anchor",
            chain=genuine_chain(),
        ),
        _Case(
            "anchor-tx-reverted",
            "rootAt(7) holds the root, but the transaction the bundle names reverted.",
            pinned_chain,
            genuine,
            "not_verified",
            "anchor_tx",
            chain=genuine_chain(tx={"status": 0, "anchored": ()}),
        ),
        _Case(
            "anchor-tx-in-reorganised-block",
            "The transaction's block 12 is no longer on the canonical chain (a reorganisation "
            "replaced it).",
            pinned_chain,
            genuine,
            "not_verified",
            "anchor_tx",
            chain=genuine_chain(blocks={12: "0x" + _hex("block 12 after a reorganisation")}),
        ),
        _Case(
            "anchor-tx-of-an-earlier-checkpoint",
            "The bundle names the transaction that anchored size 3 (in block 9): it emitted no "
            "CheckpointAnchored(7, root).",
            pinned_chain,
            genuine
            | {
                "anchor": _anchor(
                    tx_hash=EARLIER_TX, block_number=9, block_hash=BLOCKS[9]
                ).model_dump()
            },
            "not_verified",
            "anchor_tx",
            chain=genuine_chain(),
        ),
        _Case(
            "anchor-too-few-confirmations",
            "The anchoring block is the head: 1 of the 2 confirmations the trust root asks for. "
            "anchor_tx is not checked yet; the pinned key still verifies the bundle.",
            pinned_chain,
            genuine,
            "verified_by_log",
            None,
            chain=genuine_chain(head=12),
        ),
    ]
    return cases


def _flip_last_bit(h: str) -> str:
    raw = bytearray(bytes.fromhex(h))
    raw[-1] ^= 1
    return raw.hex()


def _checks_of(case: _Case) -> tuple[str, str | None, list[list[Any]]]:
    trust = parse_trust_root(case.trust) if case.trust is not None else None
    digest = None
    if case.file is not None:
        digest = ContentDigest(hashlib.sha256(case.file).hexdigest(), None, len(case.file))
    chain = RecordedChain.from_json(case.chain) if case.chain is not None else None
    report = verify_bundle(parse_bundle(case.bundle), trust=trust, file_digest=digest, chain=chain)
    failed = report.failed()
    return (
        report.level.value,
        failed[0].name if failed else None,
        [[c.name, c.passed] for c in report.checks],
    )


def verdict_vectors() -> dict[str, dict[str, Any]]:
    out = {}
    for case in _verdict_cases():
        level, failed, checks = _checks_of(case)
        if (level, failed) != (case.level, case.failed):  # the generator states, the code agrees
            raise AssertionError(
                f"{case.name}: want {case.level}/{case.failed}, verify_bundle says {level}/{failed}"
            )
        out[f"verdicts/{case.name}.json"] = {
            "description": case.description,
            "trust": case.trust,
            "bundle": case.bundle,
            "file_sha256": hashlib.sha256(case.file).hexdigest() if case.file else None,
            "file_size": len(case.file) if case.file else None,
            "chain": case.chain,
            "want": {"level": level, "failed": failed, "checks": checks},
        }
    return out


# --- signatures ------------------------------------------------------------------------------------


def _jcs(value: dict[str, Any]) -> str:
    return canonical_json(value).decode()


def signature_vectors() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    log_key = _b64(LOG.public_key)

    payment = RECORDS[2]
    receipt = LOG.notary.sign_receipt(2, leaf_hash(payment.canonical()), payment.received_at)
    r = receipt.model_dump()
    crossed = {**r, "type": "sunlight-checkpoint/1"}
    del crossed["signature"]
    receipts = {
        "happy-path": ("A receipt for leaf 2 of the example log.", r, None),
        "leaf_index-changed": ("leaf_index 2 changed to 3.", r | {"leaf_index": 3}, None),
        "signed-by-another-key": (
            "The same payload signed by another key; log_id still names ours.",
            r | {"signature": SECOND_LOG.sign(receipt.payload())},
            None,
        ),
        "payload-type-checkpoint": (
            "The receipt's fields signed under type sunlight-checkpoint/1: the domains do not mix.",
            r | {"signature": LOG.sign(canonical_json(crossed))},
            _jcs(crossed),
        ),
    }
    for name, (description, fields, signed) in receipts.items():
        doc = {
            "description": description,
            "public_key": log_key,
            "receipt": fields,
            "payload": Receipt.model_validate(fields).payload().decode(),
            "want": "ok" if name == "happy-path" else "error",
        }
        if signed is not None:
            doc["signed_payload"] = signed
        out[f"signatures/receipt/{name}.json"] = doc

    cp = GENUINE.checkpoint()
    c = cp.model_dump()
    crossed = {**c, "type": "sunlight-receipt/1"}
    del crossed["signature"]
    checkpoints = {
        "happy-path": ("The example log's checkpoint of 7 entries.", c, None),
        "tree_size-changed": ("tree_size 7 changed to 8.", c | {"tree_size": 8}, None),
        "signed-by-another-key": (
            "The same payload signed by another key; log_id still names ours.",
            c | {"signature": SECOND_LOG.sign(cp.payload())},
            None,
        ),
        "payload-type-receipt": (
            "The checkpoint's fields signed under type sunlight-receipt/1: the domains do not mix.",
            c | {"signature": LOG.sign(canonical_json(crossed))},
            _jcs(crossed),
        ),
    }
    for name, (description, fields, signed) in checkpoints.items():
        doc = {
            "description": description,
            "public_key": log_key,
            "checkpoint": fields,
            "payload": Checkpoint.model_validate(fields).payload().decode(),
            "want": "ok" if name == "happy-path" else "error",
        }
        if signed is not None:
            doc["signed_payload"] = signed
        out[f"signatures/checkpoint/{name}.json"] = doc

    record = payment.to_json()
    other_sig = CONTRACTOR_C1.sign(signing_payload(payment, "township"))
    records = {
        "happy-path": (
            "A payment request signed by township with key t1; the signature is "
            "record.signatures[0].",
            record,
        ),
        "data-amount-changed": (
            "data.amount_cny changed after signing.",
            _edit(record, "data.amount_cny", 990000),
        ),
        "replayed-onto-another-project": (
            "The signature moved to the same record filed under another project.",
            record | {"project": "XQ-2026-0041"},
        ),
        "signed-by-another-key": (
            "The payload signed by another key (contractor's c1) but presented as township/t1.",
            record | {"signatures": [record["signatures"][0] | {"sig": other_sig}]},
        ),
    }
    for name, (description, fields) in records.items():
        parsed = parse_record(fields)
        out[f"signatures/record-signature/{name}.json"] = {
            "description": description,
            "public_key": _b64(TOWNSHIP_T1.public_key),
            "record": fields,
            "payload": signing_payload(parsed, parsed.signatures[0].party).decode(),
            "want": "ok" if name == "happy-path" else "error",
        }

    registration = RECORDS[0]
    entry = registration.canonical()
    out["signatures/key-registration/happy-path.json"] = {
        "description": "The key_registration record of township's key t1, leaf 0 of the example "
        "log: the entry is JCS(record), the leaf hash SHA-256(0x00 || entry).",
        "record": registration.to_json(),
        "entry": entry.decode(),
        "leaf_hash": leaf_hash(entry).hex(),
        "registers": {
            "party": "township",
            "key_id": "t1",
            "public_key": _b64(TOWNSHIP_T1.public_key),
        },
    }
    return out | algorithm_vectors()


def vectors() -> dict[str, str]:
    """Every file this generator writes: path relative to tests/vectors → text."""
    docs = {**signature_vectors(), **verdict_vectors()}
    return {path: render(doc) for path, doc in sorted(docs.items())}


def main() -> None:
    for d in DIRS:
        shutil.rmtree(HERE / d, ignore_errors=True)
    for path, text in vectors().items():
        target = HERE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
