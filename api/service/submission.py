"""``POST /v1/records`` made safe to retry: the ``Idempotency-Key`` header (IETF draft
"The Idempotency-Key HTTP Header Field") and records made from resumable (tus) uploads.

A key is the caller's: ``(party, key)`` names one request. Its fingerprint is SHA-256 over the
method, the path, the ``meta`` as parsed and what carries the file: the file's SHA-256, or the
upload's id. The key is stored in the transaction that appends the record
(:class:`~api.storage.idempotency.KeyClaims`), so:

- a retry of a request whose record exists gets the original answer — the same record id, leaf
  and receipt (Ed25519 signs deterministically) — and stores nothing more;
- the same key with another request is 409 ``idempotency_key_reused``;
- a duplicate sent while the first is still in flight waits for it and gets the same answer (only
  one of them takes the key under the log lock; the other is answered with its record);
- a request that failed stored no key: its retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from anyio import to_thread

from api.service.records import RecordMeta, Upload, submit_upload
from api.storage.entries import AppendedEntry
from api.storage.idempotency import IdempotencyClaim, KeyReplay, judge
from api.storage.parties import ConflictError
from notary.digests import digest_stream
from notary.errors import InvalidRequestError, NotaryError, RecordError
from notary.records import Record

if TYPE_CHECKING:
    from api.context import AppContext
    from api.service.notary import Accepted

__all__ = ["Outcome", "UploadIncompleteError", "parse_key", "submit_record", "sweep_forever"]

log = logging.getLogger("sunlight.api")

#: How often expired keys and uploads are swept.
SWEEP_INTERVAL_S = 3600.0


class UploadIncompleteError(ConflictError):
    """A record asked of an upload that has not received all its bytes yet (HTTP 409)."""

    code = "upload_incomplete"


@dataclass(frozen=True, slots=True)
class Outcome:
    accepted: Accepted
    #: True when this is the answer to an earlier request with the same key.
    replayed: bool


def parse_key(header: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header: a structured-field string (``"…"``, as the draft
    has it) or the same characters bare; 1 to 255 printable ASCII characters."""
    if header is None:
        return None
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not 0 < len(value) <= 255 or any(not " " <= c <= "~" or c in '"\\' for c in value):
        raise InvalidRequestError(
            "Idempotency-Key must be 1 to 255 printable ASCII characters (no quote or backslash), "
            'e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"'
        )
    return value


def fingerprint(meta: RecordMeta, carrier: str) -> bytes:
    """SHA-256 over what makes a request the same request."""
    doc = {"method": "POST", "path": "/v1/records", "meta": meta.model_dump(mode="json")}
    text = json.dumps({**doc, "file": carrier}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).digest()


def _file_carrier(sha256_hex: str | None) -> str:
    return "none" if sha256_hex is None else f"sha256:{sha256_hex}"


async def submit_record(
    ctx: AppContext,
    meta: RecordMeta,
    party: str,
    *,
    upload: Upload | None,
    upload_id: str | None,
    key: str | None,
) -> Outcome:
    """Notarize ``meta`` with its file (sent, or the finished upload ``upload_id``) once per
    ``key``."""
    if upload is not None and upload_id is not None:
        raise RecordError("send a file or an upload_id, not both", field="upload_id")
    if upload_id is not None:
        return await _from_upload(ctx, meta, party, upload_id, key)
    if key is not None:
        stored = await to_thread.run_sync(ctx.idempotency.find, party, key)
        if stored is not None:  # answered before, unless the request differs: hash its file
            digest = None
            if upload is not None:
                digest = (await to_thread.run_sync(digest_stream, upload.stream)).sha256
            retry = IdempotencyClaim(party, key, fingerprint(meta, _file_carrier(digest)))
            return await _replay(ctx, judge(retry, stored))

    def claim_of(record: Record) -> IdempotencyClaim:
        assert key is not None
        digest = record.content.sha256 if record.content else None
        return IdempotencyClaim(party, key, fingerprint(meta, _file_carrier(digest)))

    return await _submit(ctx, meta, party, upload, claim_of if key is not None else None)


async def _from_upload(
    ctx: AppContext, meta: RecordMeta, party: str, upload_id: str, key: str | None
) -> Outcome:
    """A record of a finished upload, which is deleted once the record is in the log."""
    claim_of: Callable[[Record], IdempotencyClaim] | None = None
    if key is not None:  # checked first: the upload is gone once its record was made
        made = IdempotencyClaim(party, key, fingerprint(meta, f"upload:{upload_id}"))
        stored = await to_thread.run_sync(ctx.idempotency.find, party, key)
        if stored is not None:
            return await _replay(ctx, judge(made, stored))
        claim_of = lambda _record: made  # noqa: E731 - the claim does not depend on the record
    uploads = ctx.uploads
    uploads.info(upload_id, party)
    async with uploads.locked(upload_id):
        info = uploads.info(upload_id, party)  # a request that held the lock may have used it
        received = uploads.offset(upload_id)
        if received != info.length:
            raise UploadIncompleteError(
                f"upload {upload_id} has {received} of its {info.length} bytes; resume it first"
            )
        with uploads.open_read(upload_id) as stream:
            name, media_type = info.metadata.get("filename"), info.metadata.get("filetype")
            upload = Upload(stream, name, media_type, info.length)
            outcome = await _submit(ctx, meta, party, upload, claim_of)
        uploads.delete(upload_id)
    return outcome


async def _submit(
    ctx: AppContext,
    meta: RecordMeta,
    party: str,
    upload: Upload | None,
    claim: Callable[[Record], IdempotencyClaim] | None,
) -> Outcome:
    try:
        return Outcome(await submit_upload(ctx, meta, party, upload, claim), replayed=False)
    except KeyReplay as replay:  # a duplicate in flight took the key first
        return await _replay(ctx, replay)


async def _replay(ctx: AppContext, verdict: NotaryError) -> Outcome:
    """The original answer for a :class:`KeyReplay`; any other verdict is raised."""
    if not isinstance(verdict, KeyReplay):
        raise verdict
    stored = await to_thread.run_sync(ctx.notary.log.get, verdict.record_id)
    appended = AppendedEntry(stored.index, stored.record_id, stored.leaf_hash, stored.record)
    return Outcome(ctx.notary.receipted(appended), replayed=True)


def _cutoff(hours: float) -> str:
    """RFC 3339 UTC ``hours`` ago, in the format of a record's ``received_at``."""
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sweep(ctx: AppContext) -> tuple[int, int]:
    """Forget expired idempotency keys and delete expired uploads; return how many of each."""
    keys = ctx.idempotency.expire(_cutoff(ctx.settings.idempotency_ttl_h))
    return keys, ctx.uploads.sweep()


def sweep_forever(ctx: AppContext, stop: threading.Event) -> None:
    """:func:`sweep` now and every :data:`SWEEP_INTERVAL_S` until ``stop`` is set."""
    while True:
        try:
            keys, uploads = sweep(ctx)
            if keys or uploads:
                log.info("swept %d idempotency keys and %d uploads", keys, uploads)
        except (NotaryError, OSError) as e:
            log.warning("sweeping expired keys and uploads failed: %s", e)
        if stop.wait(SWEEP_INTERVAL_S):
            return
