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


class RecordError(NotaryError, ValueError):
    """A record (or another input document) is invalid. ``field`` names the offending field."""

    code = "invalid_record"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class KeyMaterialError(NotaryError):
    """A key could not be loaded or is unsuitable."""

    code = "key_error"


class LogError(NotaryError):
    """The persistent log is unavailable or inconsistent."""

    code = "log_error"


class NotFoundError(NotaryError, LookupError):
    """A record, checkpoint or other object does not exist."""

    code = "not_found"
