"""Proof bundles (``sunlight-proof/1``): self-contained evidence that a record is in the log.

A bundle carries the record, its leaf index and hash, a signed checkpoint, the inclusion proof from
the leaf to the checkpoint's root, and where that root is anchored on chain. :func:`verify_bundle`
judges it against a :class:`~notary.trust.TrustRoot` the verifier chose — never against a key or
contract the bundle names — and reports each check by name (passed, failed, or not checked and why)
and the verdict's :class:`Level`, so a person (or the verification page) sees exactly what was
proved, and to whom.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from notary import merkle
from notary.chainview import Anchor, ChainView, check_anchor
from notary.digests import ContentDigest
from notary.documents import parse_document
from notary.errors import NotaryError
from notary.keys import RegisteredKey, registered_key
from notary.records import (
    Record,
    canonical_json,
    parse_record,
    verify_record_signature,
)
from notary.signing import Checkpoint, parse_public_key, verify_checkpoint
from notary.trust import TrustedLog, TrustRoot
from notary.verdict import Check, VerificationReport, check_pinned_log, passes

__all__ = [
    "BUNDLE_FORMAT",
    "MAX_BUNDLE_BYTES",
    "KeyProof",
    "ProofBundle",
    "make_bundle",
    "parse_bundle",
    "verified_signers",
    "verify_bundle",
]

BUNDLE_FORMAT = "sunlight-proof/1"
#: A bundle is a record (at most 256 KiB) plus at most 64 hashes and a few fields.
MAX_BUNDLE_BYTES = 1024 * 1024

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class KeyProof(BaseModel):
    """Optional bundle extension: a signing key's registration record and its inclusion proof in
    the same tree as the bundle's record (see :mod:`notary.keys`)."""

    model_config = _FROZEN

    record: dict[str, Any]
    leaf_index: StrictInt = Field(ge=0, le=merkle.MAX_TREE_SIZE - 1)
    inclusion_proof: list[Hex64] = Field(max_length=merkle.MAX_PROOF_LENGTH)


class ProofBundle(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore"
    )  # newer optional fields are kept readable

    format: Literal["sunlight-proof/1"]
    record: dict[str, Any]
    leaf_index: StrictInt = Field(ge=0, le=merkle.MAX_TREE_SIZE - 1)
    leaf_hash: Hex64
    checkpoint: Checkpoint
    inclusion_proof: list[Hex64] = Field(max_length=merkle.MAX_PROOF_LENGTH)
    anchor: Anchor | None = None
    #: Optional extension: the notary's raw Ed25519 public key (base64), whose SHA-256 is the log id.
    log_public_key: str | None = Field(default=None, max_length=64)
    #: Optional extension: proofs that the record's signing keys were registered in the log.
    key_proofs: tuple[KeyProof, ...] | None = Field(default=None, max_length=32)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def make_bundle(
    *,
    entry: bytes,
    leaf_index: int,
    checkpoint: Checkpoint,
    inclusion_proof: Sequence[bytes],
    anchor: Anchor | None = None,
    log_public_key: bytes | None = None,
    key_proofs: Sequence[KeyProof] = (),
) -> ProofBundle:
    return ProofBundle(
        format=BUNDLE_FORMAT,
        record=json.loads(entry),
        leaf_index=leaf_index,
        leaf_hash=merkle.leaf_hash(entry).hex(),
        checkpoint=checkpoint,
        inclusion_proof=[p.hex() for p in inclusion_proof],
        anchor=anchor,
        log_public_key=base64.b64encode(log_public_key).decode() if log_public_key else None,
        key_proofs=tuple(key_proofs) or None,
    )


def parse_bundle(value: Mapping[str, Any] | bytes | str) -> ProofBundle:
    """Parse a bundle; raise :class:`MalformedProofError` saying what is wrong."""
    return parse_document(
        value, ProofBundle, fmt=BUNDLE_FORMAT, max_bytes=MAX_BUNDLE_BYTES, what="bundle"
    )


def verify_bundle(
    bundle: ProofBundle,
    *,
    trust: TrustRoot | None = None,
    file_digest: ContentDigest | None = None,
    chain: ChainView | None = None,
) -> VerificationReport:
    """Judge ``bundle`` against the verifier's ``trust`` root; never raise for a bad bundle.

    Checks, each reported by name (passed, failed, or not checked with the reason):

    - ``record``: the record is a valid version-1 record;
    - ``leaf_hash``: SHA-256(0x00 ‖ JCS(record)) equals the bundle's leaf hash;
    - ``file``: the file's digests (when given) equal the record's content digests;
    - ``inclusion``: the inclusion proof leads from the leaf to the checkpoint's root;
    - ``log``: the checkpoint's ``log_id`` is a log the trust root pins;
    - ``checkpoint_signature``: the checkpoint is signed by that pinned key (a key the bundle
      carries is never trusted: a good signature by it is only *self-consistent*);
    - ``signature:<party>/<key_id>``: each party signature, checked against a key whose
      registration record the bundle proves in the same tree, before the record;
    - ``anchor``: ``rootAt(tree_size)`` of the trusted contract equals the checkpoint's root;
    - ``anchor_tx``: the anchoring transaction succeeded in a canonical block of the trusted chain,
      emitted ``CheckpointAnchored(tree_size, root)`` from the trusted contract, and has the
      confirmations the trust root requires.

    ``chain`` is read access to the trusted chain; it is used only when its chain id and contract
    are the ones the trust root names. The verdict's level is computed from the checks
    (:class:`Level`).
    """
    trust = trust or TrustRoot()
    checks: list[Check] = []
    record = _check_record(bundle, checks)
    leaf = _check_leaf(bundle, checks)
    if file_digest is not None:
        checks.append(_check_file(record, file_digest))
    cp = bundle.checkpoint
    root = bytes.fromhex(cp.root_hash)
    checks.append(
        passes(
            "inclusion",
            f"leaf {bundle.leaf_index} is in the tree of {cp.tree_size} entries with root {cp.root_hash}",
            lambda: merkle.verify_inclusion(
                leaf,
                bundle.leaf_index,
                cp.tree_size,
                [bytes.fromhex(p) for p in bundle.inclusion_proof],
                root,
            ),
        )
    )
    pinned = trust.log(cp.log_id)
    checks.extend(_check_log(bundle, trust, pinned))
    if record is not None:
        checks.extend(_check_signatures(bundle, record, root))
    chains = trust.chains_for(cp.log_id) if pinned is not None or not trust.logs else ()
    checks.extend(check_anchor(cp, bundle.anchor, chains, chain))
    return VerificationReport.judge(checks, pinned)


def _check_record(bundle: ProofBundle, checks: list[Check]) -> Record | None:
    try:
        record = parse_record(bundle.record)
    except NotaryError as e:
        checks.append(Check("record", False, str(e)))
        return None
    checks.append(Check("record", True, "a valid version-1 record"))
    return record


def _check_leaf(bundle: ProofBundle, checks: list[Check]) -> bytes:
    try:
        leaf = merkle.leaf_hash(canonical_json(bundle.record))
    except NotaryError as e:
        checks.append(Check("leaf_hash", False, str(e)))
        return b""
    if leaf.hex() != bundle.leaf_hash:
        detail = f"record hashes to {leaf.hex()}, bundle says {bundle.leaf_hash}"
        checks.append(Check("leaf_hash", False, detail))
    else:
        checks.append(Check("leaf_hash", True, "SHA-256(0x00 ‖ JCS(record)) matches"))
    return leaf


def _check_file(record: Record | None, digest: ContentDigest) -> Check:
    content = record.content if record is not None else None
    if content is None:
        return Check("file", False, "the record notarizes no file")
    if content.sha256 != digest.sha256:
        return Check(
            "file",
            False,
            f"file SHA-256 {digest.sha256} differs from the record's {content.sha256}",
        )
    if content.size != digest.size:
        return Check("file", False, f"file has {digest.size} bytes, the record says {content.size}")
    if content.sm3 and digest.sm3 and content.sm3 != digest.sm3:
        return Check(
            "file", False, f"file SM3 {digest.sm3} differs from the record's {content.sm3}"
        )
    return Check("file", True, "the file's digests match the record")


def _check_log(bundle: ProofBundle, trust: TrustRoot, pinned: TrustedLog | None) -> list[Check]:
    cp = bundle.checkpoint
    checks = check_pinned_log(cp, trust, pinned, "bundle")
    if pinned is not None:
        return checks
    log = checks[0]
    if bundle.log_public_key is None:
        return [log, Check("checkpoint_signature", None, "no pinned key to check it with")]
    try:
        verify_checkpoint(cp, parse_public_key(bundle.log_public_key))
    except NotaryError as e:
        return [log, Check("checkpoint_signature", False, str(e))]
    return [
        log,
        Check(
            "checkpoint_signature",
            None,
            "signed by the key the bundle itself carries, which proves nothing: not a trust root",
        ),
    ]


def verified_signers(report: VerificationReport) -> tuple[tuple[str, str], ...]:
    """``(party, key_id)`` of each party signature the report counted: verified against a key
    whose registration the bundle proved in the log (what a quorum rule counts)."""
    prefix, signers = "signature:", []
    for check in report.checks:
        if check.name.startswith(prefix) and check.passed is True:
            party, key_id = check.name[len(prefix) :].split("/", 1)  # identifiers hold no "/"
            signers.append((party, key_id))
    return tuple(signers)


def _check_signatures(bundle: ProofBundle, record: Record, root: bytes) -> list[Check]:
    """Each party signature against a key registration proved in the same tree, before the
    record. Without such a proof a signature is reported as not checked, never as counted."""
    keys: dict[tuple[str, str], tuple[int, RegisteredKey]] = {}
    for proof in bundle.key_proofs or ():
        found = _proved_key(proof, bundle, root)
        if isinstance(found, Check):
            return [found]
        keys[(found[1].party, found[1].key_id)] = found
    checks: list[Check] = []
    for sig in record.signatures:
        name = f"signature:{sig.party}/{sig.key_id}"
        proved = keys.get((sig.party, sig.key_id))
        if proved is None:
            detail = "not checked: the bundle proves no registration of this key in the log"
            checks.append(Check(name, None, detail))
            continue
        index, key = proved
        certified = " with its certificate" if key.certificates else ""
        checks.append(
            passes(
                name,
                f"signed by {sig.party} with {key.alg} key {sig.key_id}, registered{certified} "
                f"at leaf {index}",
                partial(verify_record_signature, record, sig, key.public_key, key.alg),
            )
        )
    return checks


def _proved_key(
    proof: KeyProof, bundle: ProofBundle, root: bytes
) -> tuple[int, RegisteredKey] | Check:
    name = f"key_proof@{proof.leaf_index}"
    try:
        registration = registered_key(parse_record(proof.record))
    except NotaryError as e:
        return Check(name, False, f"the key registration record is invalid: {e}")
    if registration is None:
        return Check(name, False, "the record is not a key registration")
    if proof.leaf_index >= bundle.leaf_index:
        return Check(name, False, "the key was registered after the signed record")
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(canonical_json(proof.record)),
            proof.leaf_index,
            bundle.checkpoint.tree_size,
            [bytes.fromhex(p) for p in proof.inclusion_proof],
            root,
        )
    except NotaryError as e:
        return Check(name, False, f"the key registration is not in the tree: {e}")
    return proof.leaf_index, registration
