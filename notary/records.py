"""Records, version 1: the entries of the evidence log (see docs/formats.md).

A record is validated with explicit size limits, then encoded with RFC 8785 (JCS) canonical JSON; the
UTF-8 bytes of that encoding are the log entry whose :func:`~notary.merkle.leaf_hash` goes into the
tree. Any invalid or unknown field is refused with a :class:`~notary.errors.RecordError` naming it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
)

from notary.errors import RecordError, SignatureError
from notary.jcs import canonical_json
from notary.sigalgs import SIGNATURE_BYTES, Alg, verify_signature

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_ENTRY_BYTES",
    "STAGES",
    "Content",
    "Record",
    "RecordSignature",
    "canonical_json",
    "first_problem",
    "parse_record",
    "signature_payload",
    "signing_payload",
    "verify_record_signature",
]

#: The canonical encoding of ``data`` may not exceed this: records carry metadata, files go to blobs.
MAX_DATA_BYTES = 64 * 1024
#: No entry (a whole canonical record) may exceed this, so any verifier can bound its memory.
MAX_ENTRY_BYTES = 256 * 1024
MAX_DATA_DEPTH = 16
MAX_SIGNATURES = 32
#: Files may be large, but sizes must stay exact in every JSON implementation (2**53 - 1).
MAX_CONTENT_SIZE = 2**53 - 1

STAGES = ("application", "review", "notice", "implementation", "settlement")

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")]
ProjectCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
MediaType = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$"
    ),
]
Cid = Annotated[str, StringConstraints(pattern=r"^b[a-z2-7]{1,127}$")]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


#: The integers JSON carries exactly in every implementation (IEEE 754 doubles).
_MAX_SAFE = 2**53 - 1


def _is_unicode(text: str) -> bool:
    """False for text UTF-8 cannot encode: JSON's ``"\\ud800"`` escapes parse to such text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_json_value(value: Any, path: str, depth: int = 0) -> None:
    if depth > MAX_DATA_DEPTH:
        raise RecordError(f"nested deeper than {MAX_DATA_DEPTH} levels", field=path)
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if not _is_unicode(value):
            raise RecordError("text must be valid Unicode (a lone surrogate is not)", field=path)
        return
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE:
            raise RecordError(
                "integers must be within ±(2**53 - 1) to be exact in JSON", field=path
            )
        return
    if isinstance(value, float):
        # JCS writes integral floats below 1e21 as integers: bound them like integers so every
        # canonical entry parses back to the record it came from.
        if not math.isfinite(value) or abs(value) > _MAX_SAFE:
            raise RecordError("numbers must be finite and within ±(2**53 - 1)", field=path)
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_value(v, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise RecordError("object keys must be strings", field=path)
            if not _is_unicode(k):
                raise RecordError(
                    "keys must be valid Unicode (a lone surrogate is not)", field=path
                )
            _check_json_value(v, f"{path}.{k}", depth + 1)
        return
    raise RecordError(f"{type(value).__name__} is not a JSON value", field=path)


#: At most this many bytes in a canonical encoding: a character of text (``\u001f``), an integer
#: JSON carries exactly (``-9007199254740991``), a float of at most that magnitude
#: (``-0.0000012345678901234567``, ``-1.2345678901234567e-100``), a constant (``false``).
_CHAR, _INT, _FLOAT, _CONSTANT = 6, 17, 25, 5


def _plain_json_bound(value: Any, depth: int = 0) -> int | None:
    """A bound on the bytes of the canonical encoding of the container ``value`` (at ``depth``),
    when it holds only what :func:`_check_json_value` accepts, checked the quick way: values of
    exact types only (keys are text, as joining them finds), no field paths built, text looked at
    only for a lone surrogate. None is no verdict: the caller then walks
    :func:`_check_json_value`, which names the problem or accepts what is only unusual (a ``str``
    subclass, say)."""
    kind = type(value)
    if kind is dict:
        if not value:
            return 2
        try:
            keys = "".join(value)
        except TypeError:  # a key that is not text
            return None
        if not keys.isascii() and not _is_unicode(keys):
            return None
        size = 2 + 4 * len(value) + _CHAR * len(keys)  # braces; quotes, colon and comma a key
        items: Any = value.values()
    elif kind is list:
        size = 2 + len(value)  # brackets and commas
        items = value
    else:
        return None
    if value and depth >= MAX_DATA_DEPTH:
        return None  # its items would be nested deeper than allowed
    for item in items:
        t = type(item)
        if t is str:
            if not item.isascii() and not _is_unicode(item):
                return None
            size += 2 + _CHAR * len(item)
        elif t is bool or item is None:
            size += _CONSTANT
        elif t is int:
            if not -_MAX_SAFE <= item <= _MAX_SAFE:
                return None
            size += _INT
        elif t is float:
            if not (math.isfinite(item) and abs(item) <= _MAX_SAFE):
                return None
            size += _FLOAT
        else:
            inner = _plain_json_bound(item, depth + 1)
            if inner is None:
                return None
            size += inner
    return size


def _check_rfc3339(value: str, *, utc_z: bool) -> str:
    if len(value) > 40:
        raise ValueError("timestamp too long")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}") from e
    if parsed.tzinfo is None or "T" not in value:
        raise ValueError("timestamp must be RFC 3339 with a date, a time and an offset")
    if utc_z and not value.endswith("Z"):
        raise ValueError("timestamp must be UTC, ending in 'Z'")
    return value


class Content(BaseModel):
    """Digests and description of the file a record notarizes."""

    model_config = _FROZEN

    sha256: Hex64
    sm3: Hex64 | None = None
    size: StrictInt = Field(ge=0, le=MAX_CONTENT_SIZE)
    media_type: MediaType = "application/octet-stream"
    cid: Cid | None = None
    name: str | None = Field(default=None, min_length=1, max_length=255)


class RecordSignature(BaseModel):
    """A signing party's signature over :func:`signing_payload`: 64 bytes, base64, in every
    algorithm (see :mod:`notary.sigalgs`)."""

    model_config = _FROZEN

    party: Identifier
    alg: Alg
    key_id: Identifier
    sig: str = Field(max_length=128)

    @field_validator("sig")
    @classmethod
    def _sig_is_base64_64_bytes(cls, v: str) -> str:
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValueError("sig must be standard base64") from e
        if len(raw) != SIGNATURE_BYTES:
            raise ValueError(f"a signature is {SIGNATURE_BYTES} bytes, got {len(raw)}")
        return v

    def signature_bytes(self) -> bytes:
        return base64.b64decode(self.sig)


class Record(BaseModel):
    """A lifecycle record, version 1. Frozen; build changed copies with ``model_copy(update=...)``."""

    model_config = _FROZEN

    v: Literal[1] = 1
    project: ProjectCode | None = None
    stage: Literal["application", "review", "notice", "implementation", "settlement"] | None = None
    kind: Kind = "document"
    content: Content | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    submitter: Identifier
    signatures: tuple[RecordSignature, ...] = Field(default=(), max_length=MAX_SIGNATURES)
    prev: Hex64 | None = None
    client_time: str | None = None
    received_at: str
    #: Optional, written only as ``false``: who may read the record on this server (the entry
    #: itself is in the log). Absent means public, so public entries predate this field unchanged.
    public: StrictBool = True
    #: Optional: the organisation the submitter acted for, set by the server from the submitter's
    #: registration. Absent on records of parties without one (and on every older entry).
    org: Identifier | None = None

    @field_validator("public")
    @classmethod
    def _public_only_as_false(cls, v: bool) -> bool:
        if v:
            raise ValueError("omit public for a public record: only false is written")
        return v

    @field_validator("data")
    @classmethod
    def _data_is_bounded_json(cls, v: dict[str, Any]) -> dict[str, Any]:
        bound = _plain_json_bound(v)
        if bound is None:
            _check_json_value(v, "data")  # names what is wrong, or accepts what is unusual
        if (bound is None or bound > MAX_DATA_BYTES) and len(canonical_json(v)) > MAX_DATA_BYTES:
            raise ValueError(f"canonical encoding exceeds {MAX_DATA_BYTES} bytes")
        return v

    @field_validator("client_time")
    @classmethod
    def _client_time_rfc3339(cls, v: str | None) -> str | None:
        return None if v is None else _check_rfc3339(v, utc_z=False)

    @field_validator("received_at")
    @classmethod
    def _received_at_rfc3339(cls, v: str) -> str:
        return _check_rfc3339(v, utc_z=True)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object, every field present (absent values are null) but
        ``public``, present only as ``false``, and ``org``, present only when set: a copy, the
        record's data included."""
        return copy.deepcopy(self._fields())

    def _fields(self) -> dict[str, Any]:
        """:meth:`to_json` without the copy, ``data`` the record's own: what :meth:`canonical`
        encodes (made from the fields themselves, at a third of the cost of pydantic's dump)."""
        fields: dict[str, Any] = {
            "v": self.v,
            "project": self.project,
            "stage": self.stage,
            "kind": self.kind,
            "content": None if self.content is None else dict(self.content.__dict__),
            "data": self.data,
            "submitter": self.submitter,
            "signatures": [dict(s.__dict__) for s in self.signatures],
            "prev": self.prev,
            "client_time": self.client_time,
            "received_at": self.received_at,
        }
        if not self.public:
            fields["public"] = False
        if self.org is not None:
            fields["org"] = self.org
        return fields

    def canonical(self) -> bytes:
        """The log entry: RFC 8785 canonical JSON of :meth:`to_json`."""
        entry = canonical_json(self._fields())
        if len(entry) > MAX_ENTRY_BYTES:
            raise RecordError(f"record encodes to {len(entry)} bytes; at most {MAX_ENTRY_BYTES}")
        return entry


def first_problem(error: ValidationError, default: str) -> tuple[str, str]:
    """The field path and message of the first problem pydantic found (``default`` names the
    whole document); an unknown field is called one."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or default
    msg = "unknown field" if first.get("type") == "extra_forbidden" else first.get("msg", "invalid")
    return where, msg


def parse_record(value: Mapping[str, Any] | bytes | str) -> Record:
    """Validate a record from a JSON object, or from JSON text (e.g. a stored entry)."""
    if isinstance(value, bytes | str):
        if len(value) > MAX_ENTRY_BYTES:
            raise RecordError(f"record is larger than {MAX_ENTRY_BYTES} bytes")
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as e:
            raise RecordError(f"not valid JSON: {e}") from e
    if not isinstance(value, Mapping):
        raise RecordError("a record must be a JSON object")
    try:
        return Record.model_validate(dict(value))
    except ValidationError as e:
        where, msg = first_problem(e, "record")
        raise RecordError(msg, field=where) from e
    except RecursionError as e:
        raise RecordError("nested too deeply") from e


def signing_payload(record: Record, party: str) -> bytes:
    """What a signing party signs: the content digest bound to its context.

    ``JCS({"type": "sunlight-signature/1", "project", "stage", "kind", "content_sha256",
    "data_sha256", "party"})`` where ``data_sha256`` is SHA-256 of ``JCS(data)``. The signature thus
    covers the file, the record's kind-specific data, the project and stage it is filed under and the
    signer's own identity; it does not cover fields the server assigns (``prev``, ``received_at``).
    """
    return signature_payload(
        project=record.project,
        stage=record.stage,
        kind=record.kind,
        content_sha256=record.content.sha256 if record.content else None,
        data=record.data,
        party=party,
    )


def signature_payload(
    *,
    project: str | None,
    stage: str | None,
    kind: str,
    content_sha256: str | None,
    data: Mapping[str, Any],
    party: str,
) -> bytes:
    """:func:`signing_payload` of the record these fields will make, before it exists (a signer
    signs offline, before the submitter sends the record)."""
    return canonical_json(
        {
            "type": "sunlight-signature/1",
            "project": project,
            "stage": stage,
            "kind": kind,
            "content_sha256": content_sha256,
            "data_sha256": hashlib.sha256(canonical_json(dict(data))).hexdigest(),
            "party": party,
        }
    )


def verify_record_signature(
    record: Record, signature: RecordSignature, public_key: bytes, alg: Alg = "ed25519"
) -> None:
    """Check one of the record's signatures with the signer's registered key of algorithm ``alg``
    (a signature claiming another algorithm than its key's is refused, never reinterpreted)."""
    who = f"signature of {signature.party} (key {signature.key_id})"
    if signature.alg != alg:
        raise SignatureError(f"{who} says {signature.alg}, but the key is {alg}")
    try:
        verify_signature(
            alg, public_key, signature.signature_bytes(), signing_payload(record, signature.party)
        )
    except SignatureError as e:
        raise SignatureError(f"{who} does not verify") from e
