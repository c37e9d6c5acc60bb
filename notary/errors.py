"""The one error hierarchy of Sunlight.

Every error Sunlight raises on purpose derives from :class:`NotaryError`. Verification failures are
:class:`VerificationError`; the Merkle and proof code never lets another exception type escape.
Adapters (database, chain, blob store) add their own subclasses of :class:`NotaryError` so the CLI and
the API catch one root.
"""

from __future__ import annotations


class NotaryError(Exception):
    """Root of every error Sunlight raises on purpose.

    ``code`` is a stable machine-readable name (used as the ``error`` field of API responses).
    """

    code = "notary_error"

    def diagnostics(self) -> str:
        """A human-readable explanation, with what to do about it when we know."""
        return f"{type(self).__name__}: {self}"


class VerificationError(NotaryError):
    """A proof, signature or digest did not verify."""

    code = "verification_failed"


class MalformedProofError(VerificationError):
    """A proof or bundle is not well formed (wrong lengths, sizes out of range, garbage)."""

    code = "malformed_proof"


class RootMismatchError(VerificationError):
    """A proof was well formed but leads to a different root than the one it was checked against."""

    code = "root_mismatch"


class SignatureError(VerificationError):
    """A signature does not verify under the key it claims."""

    code = "invalid_signature"


class TrustRootError(NotaryError, ValueError):
    """A trust root (pinned key, trust file, named chain) is unusable: say which and why."""

    code = "invalid_trust_root"


class InvalidRequestError(NotaryError, ValueError):
    """A request's parameters make no sense together (a range outside the log, say)."""

    code = "invalid_request"


class RecordError(NotaryError, ValueError):
    """A record (or another input document) is invalid. ``field`` names the offending field."""

    code = "invalid_record"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class InvalidJSONError(RecordError):
    """A document is not JSON, or is JSON Sunlight does not read: nested too deeply, a duplicate
    key, a number too long or not finite, text that is not UTF-8 (docs/formats.md, "Reading JSON")."""

    code = "invalid_json"


class KeyCertificateError(RecordError):
    """A party's X.509 certificate is refused: it does not chain to a configured CA, is expired
    or not yet valid, lacks the key usage for signing, or certifies another key."""

    code = "certificate_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="certificate")


class KeyMaterialError(NotaryError):
    """A key could not be loaded or is unsuitable."""

    code = "key_error"


class LogError(NotaryError):
    """The persistent log is unavailable or inconsistent."""

    code = "log_error"


class NotFoundError(NotaryError, LookupError):
    """A record, checkpoint or other object does not exist."""

    code = "not_found"


class BlobStoreError(NotaryError):
    """The blob store (local directory or IPFS node) failed, or a blob is not as it should be."""

    code = "blob_store_error"


class BlobStoreUnavailable(BlobStoreError, ConnectionError):
    """The blob store cannot be reached (IPFS node down, directory not writable). Retry later."""

    code = "blob_store_unavailable"


class BlobNotFoundError(BlobStoreError, NotFoundError):
    """No blob is stored under this CID."""

    code = "blob_not_found"


class BlobErasedError(BlobNotFoundError):
    """The blob was erased on purpose (personal-data takedown); a tombstone gives the reason.

    Records and proofs that commit to the blob's digest stay valid.
    """

    code = "blob_erased"

    def __init__(self, cid: str, reason: str, erased_at: str) -> None:
        self.cid = cid
        self.reason = reason
        self.erased_at = erased_at
        super().__init__(f"blob {cid} was erased at {erased_at}: {reason}")


class BlobIntegrityError(BlobStoreError):
    """Stored bytes no longer match their CID or digest (bit rot, tampering), or the IPFS node
    computed another CID than Sunlight did. Restore the blob from a copy."""

    code = "blob_corrupt"


class BlobTooLargeError(BlobStoreError):
    """An upload exceeds the configured maximum size (``SUNLIGHT_MAX_UPLOAD_BYTES``)."""

    code = "blob_too_large"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"upload exceeds the maximum size of {limit} bytes")


class BlobDecryptionError(BlobStoreError):
    """A private blob could not be decrypted: wrong key-encryption key, or the ciphertext was
    truncated, reordered or altered."""

    code = "blob_decryption_failed"


class InvalidCidError(BlobStoreError, ValueError):
    """A string is not a CID Sunlight produces (CIDv1, base32, raw or dag-pb, sha2-256)."""

    code = "invalid_cid"


class AnchorError(NotaryError):
    """Anchoring a checkpoint on chain, or reading an anchor back, failed."""

    code = "anchor_error"


class ContractNotFoundError(AnchorError):
    """No contract is deployed at the address given for EvidenceAnchor on the chain read: a typo, an
    account's address, or a contract deployed on another chain."""

    code = "contract_not_found"


class ChainUnavailableError(AnchorError, ConnectionError):
    """The Ethereum node cannot be reached. Anchoring retries by itself; records are still accepted."""

    code = "chain_unavailable"


class ContractRevertError(AnchorError):
    """The EvidenceAnchor contract refused a call. ``error`` is the decoded custom error's name
    (e.g. ``EvidenceAnchorInconsistentCheckpoint``) and ``args`` its arguments, when known."""

    code = "contract_revert"

    def __init__(
        self, message: str, *, error: str | None = None, args: tuple[object, ...] = ()
    ) -> None:
        self.error = error
        self.error_args = args
        super().__init__(message)


class StorageFullError(NotaryError):
    """The disk holding the database or the blobs is full (ENOSPC, SQLite's "database or disk is
    full", PostgreSQL's disk_full). Nothing was stored; free space and retry."""

    code = "storage_full"


class CertificateError(NotaryError):
    """The certificate cannot be rendered on this machine (e.g. no CJK font installed)."""

    code = "certificate_unavailable"
