"""Records: how one is built from what a submitter sends, and how it is proved.

The rules of ``POST /v1/records`` live here, applied by :func:`submit_upload` in this order: the
record is drafted and validated, once, before its file is stored (:func:`draft_record`); the
file's media type and name are settled, the file is stored and its digests put into the record;
a site photo's EXIF and perceptual hash are read (:mod:`api.service.photos`); the signatures are
checked against the parties' registered keys (:func:`check_signatures`); the committer appends the
record, the notary signs its receipt, and a site photo is flagged and indexed.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from anyio import to_thread
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from api.service.lifecycle import attribute
from api.service.photos import SitePhotos, is_site_photo, read_upload
from api.storage.entries import StoredEntry
from api.storage.idempotency import IdempotencyClaim
from api.storage.parties import PartyStore
from api.storage.photos import SITE_PHOTO
from notary.blobs import BlobStore
from notary.bundle import ProofBundle
from notary.digests import digest_stream
from notary.errors import RecordError
from notary.evidence.photos import client_observation
from notary.keys import KEY_REGISTRATION, KEY_REVOCATION
from notary.lifecycle import PARTY_CHANGE
from notary.oversight.alert import ALERT_KIND
from notary.records import (
    Content,
    MediaType,
    Record,
    RecordSignature,
    first_problem,
    verify_record_signature,
)

if TYPE_CHECKING:
    from api.context import AppContext
    from api.service.notary import Accepted, Notary
    from api.storage.anchors import AnchorStore

__all__ = [
    "RecordMeta",
    "Upload",
    "check_signatures",
    "draft_record",
    "file_record",
    "proof_bundle",
    "refuse_reserved",
    "submit_upload",
]


class RecordMeta(BaseModel):
    """What a submitter states about a record: the ``meta`` form field of ``POST /v1/records``."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = None
    stage: str | None = None
    kind: str = "document"
    data: dict[str, Any] = Field(default_factory=dict)
    signatures: list[dict[str, Any]] = Field(default_factory=list, max_length=32)
    client_time: str | None = None
    prev: str | None = None
    #: False keeps the file encrypted at rest and downloadable only by authorised parties.
    public: bool = True
    media_type: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=255)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent with a record: its bytes, and what the client's request said about them."""

    stream: BinaryIO
    filename: str | None
    content_type: str | None
    #: The size, when the request said it.
    size: int | None


async def submit_upload(
    ctx: AppContext,
    meta: RecordMeta,
    submitter: str,
    upload: Upload | None,
    claim: Callable[[Record], IdempotencyClaim] | None = None,
) -> Accepted:
    """Build the record ``meta`` describes, store its file, append it; return its receipt.
    ``claim``: the idempotency key to store with the record, given the record with its file."""
    # Validate everything that does not need the file before storing the file.
    record = draft_record(meta, submitter=submitter, received_at=ctx.notary.clock())
    then: Callable[[Accepted], object] | None = None
    if upload is not None:
        content = await _store(ctx.blobs, meta, upload)
        # The record is valid and so is its content: a copy with both needs no second validation.
        record = record.model_copy(update={"content": content})
        if is_site_photo(record):
            then = await _site_photo(ctx, upload)
    if record.signatures:  # SM2 is pure Python: keep it off the event loop
        await to_thread.run_sync(check_signatures, ctx.parties, record)
    record, people = attribute(ctx.parties, record)
    return await ctx.committer.submit(
        record,
        blob=upload is not None,
        people=people,
        claim=claim(record) if claim else None,
        then=then,
    )


async def _site_photo(ctx: AppContext, upload: Upload) -> Callable[[Accepted], object]:
    """Read a site photo's EXIF and perceptual hash off the event loop; return what flags and
    indexes it once its record is appended (:class:`~api.service.photos.SitePhotos`)."""
    facts = await to_thread.run_sync(read_upload, upload.stream)
    photos = SitePhotos.of(ctx)
    return lambda done: photos.file(done.record_id, done.entry.index, done.entry.record, facts)


def draft_record(meta: RecordMeta, *, submitter: str, received_at: str) -> Record:
    """The record ``meta`` describes, without its file, validated.

    Key records are made only by the key routes, alerts and party changes only by the server,
    and public notices (公示) are always public.
    """
    refuse_reserved(meta.kind, "meta.kind")
    if meta.stage == "notice" and not meta.public:
        raise RecordError("public notices (公示) are always public", field="meta.public")
    if meta.kind == SITE_PHOTO:  # where and when the client says it was taken: well formed
        client_observation(meta.data)
    try:
        return Record.model_validate(
            {
                "project": meta.project,
                "stage": meta.stage,
                "kind": meta.kind,
                "data": meta.data,
                "signatures": [RecordSignature.model_validate(s) for s in meta.signatures],
                "client_time": meta.client_time,
                "prev": meta.prev,
                "submitter": submitter,
                "content": None,
                "received_at": received_at,
                # Written into the entry only when false, so the log itself says who may read it.
                **({} if meta.public else {"public": False}),
            }
        )
    except ValidationError as e:
        where, msg = first_problem(e, "meta")
        raise RecordError(msg, field=where) from e


def refuse_reserved(kind: str, field: str) -> None:
    """Refuse a kind only the server files: key records (the key routes), alerts (the oversight
    run and imports), party changes (``PATCH /v1/parties/{id}``, ``sunlight party update``)."""
    if kind in (KEY_REGISTRATION, KEY_REVOCATION):
        raise RecordError(
            "key records are made only by POST /v1/parties/{party}/keys (and DELETE)", field=field
        )
    if kind == ALERT_KIND:  # else anyone could file a "finding" that exports list as ours
        raise RecordError(
            "alerts are filed only by the server's oversight run and imports", field=field
        )
    if kind == PARTY_CHANGE:  # else anyone could file a change no administrator made
        raise RecordError(
            "party changes are filed only by PATCH /v1/parties/{party} (sunlight party update)",
            field=field,
        )


#: A file up to this size for the local store is written on the event loop: a thread costs more.
_INLINE_PUT_BYTES = 256 * 1024


async def _store(blobs: BlobStore, meta: RecordMeta, upload: Upload) -> Content:
    """Store the file (not yet durable: the committer flushes a whole group's files before its
    records) and describe it for the record."""
    media_type, name = _describe(meta, upload)
    put = partial(blobs.put, upload.stream, private=not meta.public, sync=False)
    small = upload.size is not None and upload.size <= _INLINE_PUT_BYTES
    info = put() if blobs.local and small else await to_thread.run_sync(put)
    return Content(
        sha256=info.sha256,
        sm3=info.sm3,
        size=info.content_size,
        media_type=media_type,
        cid=info.cid,
        name=name,
    )


_MEDIA_TYPE = TypeAdapter(MediaType)


def _describe(meta: RecordMeta, upload: Upload) -> tuple[str, str | None]:
    """The file's media type and name for its record. A media type the client states in ``meta``
    must be valid; the one its multipart part carries is a hint, dropped when it is not."""
    # A client's file name is a label: keep at most what a record holds (255 characters).
    name = meta.name or (upload.filename or "")[:255] or None
    if meta.media_type is not None:
        try:
            return _MEDIA_TYPE.validate_python(_bare(meta.media_type)), name
        except ValidationError as e:
            raise RecordError("not a media type like 'image/jpeg'", field="meta.media_type") from e
    try:
        return _MEDIA_TYPE.validate_python(_bare(upload.content_type or "")), name
    except ValidationError:
        return "application/octet-stream", name


def _bare(media_type: str) -> str:
    """``Image/JPEG; q=1`` → ``image/jpeg``."""
    return media_type.split(";", maxsplit=1)[0].strip().lower()


def check_signatures(parties: PartyStore, record: Record) -> None:
    """Every signature must verify under a key its party has registered and not revoked."""
    for sig in record.signatures:
        key = parties.signing_key(sig.party, sig.key_id)
        if key is None:
            raise RecordError(
                f"party {sig.party} has no active key {sig.key_id}", field="signatures"
            )
        verify_record_signature(record, sig, key.public_key, key.alg)


def file_record(
    path: Path, *, sm3: bool, clock: Callable[[], str], submitter: str, **fields: Any
) -> Record:
    """A record of a local file (``sunlight stamp``), hashed in one streaming pass, its media type
    guessed from its name; received (``clock``) once hashed."""
    with path.open("rb") as f:
        digest = digest_stream(f, sm3=sm3)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    content = Content(
        sha256=digest.sha256,
        sm3=digest.sm3,
        size=digest.size,
        media_type=media_type,
        name=path.name[:255],
    )
    draft = {"kind": "document", **fields, "submitter": submitter, "content": content}
    try:
        return Record.model_validate({**draft, "received_at": clock()})
    except ValidationError as e:
        where, msg = first_problem(e, "record")
        raise RecordError(msg, field=where) from e


def proof_bundle(ctx: AppContext, stored: StoredEntry) -> ProofBundle | None:
    """The bundle of a stored record against the checkpoint of the anchor that covers it, with
    the proofs of its signers' key registrations; None while no confirmed anchor covers it."""
    return bundle_of(ctx.notary, ctx.anchors, ctx.parties, stored)


def bundle_of(
    notary: Notary, anchors: AnchorStore, parties: PartyStore, stored: StoredEntry
) -> ProofBundle | None:
    """:func:`proof_bundle` from the stores themselves (the CLI has no app context)."""
    anchor = anchors.covering(stored.index)
    if anchor is None:
        return None
    signers = [(s.party, s.key_id) for s in stored.record.signatures]
    return notary.bundle(
        stored,
        checkpoint=notary.log.checkpoint(anchor.tree_size),
        anchor=anchor.bundle_anchor(),
        key_leaves=parties.registration_leaves(signers) if signers else (),
    )
