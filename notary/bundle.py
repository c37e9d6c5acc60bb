"""Proof bundles (``sunlight-proof/1``): self-contained evidence that a record is in the log.

A bundle carries the record, its leaf index and hash, a signed checkpoint, the inclusion proof from
the leaf to the checkpoint's root, and where that root is anchored on chain. :func:`verify_bundle`
makes every check it can and reports each one by name, passed, failed or skipped, so a person (or the
verification page) can see exactly what was proved.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError

from notary import merkle
from notary.digests import ContentDigest
from notary.errors import MalformedProofError, NotaryError
from notary.records import canonical_json, first_problem, parse_record
from notary.signing import Checkpoint, parse_public_key, verify_checkpoint

__all__ = [
    "BUNDLE_FORMAT",
    "MAX_BUNDLE_BYTES",
    "Anchor",
    "ChainRootReader",
    "Check",
    "ProofBundle",
    "VerificationReport",
    "make_bundle",
    "parse_bundle",
    "verify_bundle",
]

BUNDLE_FORMAT = "sunlight-proof/1"
#: A bundle is a record (at most 256 KiB) plus at most 64 hashes and a few fields.
MAX_BUNDLE_BYTES = 1024 * 1024

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
TxHash = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Anchor(BaseModel):
    """Where a checkpoint's root is anchored: the EvidenceAnchor contract on an EVM chain."""

    model_config = _FROZEN

    chain_id: StrictInt = Field(ge=0)
    contract: Address
    tx_hash: TxHash
    block_number: StrictInt = Field(ge=0)
    block_hash: TxHash


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

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ChainRootReader(Protocol):
    """Read access to the EvidenceAnchor contract: ``rootAt(treeSize)``, None when never anchored."""

    def root_at(self, tree_size: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool | None  # None: not checked (say why in detail)
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class VerificationReport:
    checks: Sequence[Check] = field(default_factory=tuple)

    @property
    def verified(self) -> bool:
        """True when no check failed and the essential ones (leaf and inclusion) passed."""
        passed = {c.name for c in self.checks if c.passed}
        return (
            all(c.passed is not False for c in self.checks) and {"leaf_hash", "inclusion"} <= passed
        )

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]


def make_bundle(
    *,
    entry: bytes,
    leaf_index: int,
    checkpoint: Checkpoint,
    inclusion_proof: Sequence[bytes],
    anchor: Anchor | None = None,
    log_public_key: bytes | None = None,
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
    )


def parse_bundle(value: Mapping[str, Any] | bytes | str) -> ProofBundle:
    """Parse a bundle; raise :class:`MalformedProofError` saying what is wrong."""
    if isinstance(value, bytes | str):
        if len(value) > MAX_BUNDLE_BYTES:
            raise MalformedProofError(f"bundle is larger than {MAX_BUNDLE_BYTES} bytes")
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as e:
            raise MalformedProofError(f"bundle is not valid JSON: {e}") from e
    if not isinstance(value, Mapping):
        raise MalformedProofError("a bundle must be a JSON object")
    if value.get("format") != BUNDLE_FORMAT:
        raise MalformedProofError(f"not a {BUNDLE_FORMAT} bundle (format {value.get('format')!r})")
    try:
        return ProofBundle.model_validate(dict(value))
    except ValidationError as e:
        where, msg = first_problem(e, "bundle")
        raise MalformedProofError(f"{where}: {msg}") from e
    except RecursionError as e:
        raise MalformedProofError("bundle is nested too deeply") from e


def verify_bundle(
    bundle: ProofBundle,
    *,
    file_digest: ContentDigest | None = None,
    trusted_log_key: bytes | None = None,
    chain: ChainRootReader | None = None,
) -> VerificationReport:
    """Make every check the inputs allow; never raise for a bad bundle, report it.

    - ``record``: the record is a valid version-1 record;
    - ``leaf_hash``: SHA-256(0x00 ‖ JCS(record)) equals the bundle's leaf hash;
    - ``file``: the file's digests (when given) equal the record's content digests;
    - ``inclusion``: the inclusion proof leads from the leaf to the checkpoint's root;
    - ``checkpoint_signature``: the checkpoint is signed by the log's key (the trusted one when
      given, else the key in the bundle, whose hash must be the log id);
    - ``anchor``: the contract's ``rootAt(tree_size)`` equals the checkpoint's root (when a chain
      reader is given).
    """
    checks: list[Check] = []

    def check(name: str, ok_detail: str, fn: Any) -> bool:
        try:
            fn()
        except NotaryError as e:
            checks.append(Check(name, False, str(e)))
            return False
        checks.append(Check(name, True, ok_detail))
        return True

    record = None
    try:
        record = parse_record(bundle.record)
        checks.append(Check("record", True, "a valid version-1 record"))
    except NotaryError as e:
        checks.append(Check("record", False, str(e)))

    try:
        leaf = merkle.leaf_hash(canonical_json(bundle.record))
    except NotaryError as e:
        leaf = b""
        checks.append(Check("leaf_hash", False, str(e)))
    else:
        if leaf.hex() == bundle.leaf_hash:
            checks.append(Check("leaf_hash", True, "SHA-256(0x00 ‖ JCS(record)) matches"))
        else:
            checks.append(
                Check(
                    "leaf_hash",
                    False,
                    f"record hashes to {leaf.hex()}, bundle says {bundle.leaf_hash}",
                )
            )

    if file_digest is not None:
        checks.append(_check_file(record, file_digest))

    cp = bundle.checkpoint
    check(
        "inclusion",
        f"leaf {bundle.leaf_index} is in the tree of {cp.tree_size} entries with root {cp.root_hash}",
        lambda: merkle.verify_inclusion(
            leaf or b"",
            bundle.leaf_index,
            cp.tree_size,
            [bytes.fromhex(p) for p in bundle.inclusion_proof],
            bytes.fromhex(cp.root_hash),
        ),
    )

    def _signature() -> None:
        key = trusted_log_key
        if key is None:
            if bundle.log_public_key is None:
                raise MalformedProofError("no log key: the bundle carries none and none was given")
            key = parse_public_key(bundle.log_public_key)
        verify_checkpoint(cp, key)

    check("checkpoint_signature", f"signed by log {cp.log_id[:16]}…", _signature)
    checks.append(_check_anchor(bundle, chain))
    return VerificationReport(tuple(checks))


def _check_file(record: Any, digest: ContentDigest) -> Check:
    content = getattr(record, "content", None)
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


def _check_anchor(bundle: ProofBundle, chain: ChainRootReader | None) -> Check:
    cp = bundle.checkpoint
    if chain is None:
        where = (
            "no chain to read" if bundle.anchor is None else f"anchored in {bundle.anchor.tx_hash}"
        )
        return Check("anchor", None, f"not checked against the chain ({where})")
    try:
        root = chain.root_at(cp.tree_size)
    except NotaryError as e:
        return Check("anchor", False, f"could not read the chain: {e}")
    if root is None or root == bytes(32):
        return Check("anchor", False, f"tree size {cp.tree_size} is not anchored on chain")
    if root.hex() != cp.root_hash:
        return Check("anchor", False, f"the chain's root for size {cp.tree_size} is {root.hex()}")
    return Check("anchor", True, f"rootAt({cp.tree_size}) on chain equals the checkpoint's root")
