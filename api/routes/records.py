"""Records: notarize (``POST /v1/records``), read, prove, download, certify."""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import TypeAdapter, ValidationError

from api.context import AppContext
from api.routes.deps import (
    Ctx,
    CurrentParty,
    MaybePrincipal,
    readable,
    require_role,
)
from api.routes.schemas import (
    ERRORS,
    Pending,
    RecordAccepted,
    RecordMeta,
    RecordOut,
)
from api.settings import HostNotAllowedError
from notary import jsonin
from notary.bundle import (
    ProofBundle,
)
from notary.errors import NotFoundError, RecordError
from notary.keys import KEY_REGISTRATION, KEY_REVOCATION
from notary.records import (
    Content,
    MediaType,
    Record,
    RecordSignature,
    first_problem,
    verify_record_signature,
)

router = APIRouter()

# --- records --------------------------------------------------------------------------------------


def _parse_meta(raw: str) -> RecordMeta:
    # Read strictly first: pydantic's own JSON parser keeps the last of duplicate keys.
    doc = jsonin.loads(raw, what="meta")
    try:
        return RecordMeta.model_validate(doc)
    except ValidationError as e:
        where, msg = first_problem(e, "")
        raise RecordError(msg, field=f"meta.{where}" if where else "meta") from e


def _check_signatures(ctx: AppContext, record: Record) -> None:
    for sig in record.signatures:
        key = ctx.parties.public_key(sig.party, sig.key_id)
        if key is None:
            raise RecordError(
                f"party {sig.party} has no active key {sig.key_id}", field="signatures"
            )
        verify_record_signature(record, sig, key)


def _draft(meta: RecordMeta, submitter: str, content: Content | None, received_at: str) -> Record:
    if meta.kind in (KEY_REGISTRATION, KEY_REVOCATION):
        raise RecordError(
            "key records are made only by POST /v1/parties/{party}/keys (and DELETE)",
            field="meta.kind",
        )
    if meta.stage == "notice" and not meta.public:
        raise RecordError("public notices (公示) are always public", field="meta.public")
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
                "content": content,
                "received_at": received_at,
                # Written into the entry only when false, so the log itself says who may read it.
                **({} if meta.public else {"public": False}),
            }
        )
    except ValidationError as e:
        where, msg = first_problem(e, "meta")
        raise RecordError(msg, field=where) from e


@router.post(
    "/v1/records",
    status_code=201,
    response_model=RecordAccepted,
    responses=ERRORS,
    tags=["records"],
)
async def create_record(
    ctx: Ctx,
    who: CurrentParty,
    meta: Annotated[str, Form(max_length=300_000, description="JSON: RecordMeta")],
    file: Annotated[UploadFile | None, File(description="The file to notarize")] = None,
) -> RecordAccepted:
    """Notarize a record (and its file). Returns at once with a signed receipt."""
    require_role(who, "submitter", "admin")
    parsed = _parse_meta(meta)
    now = ctx.notary.clock()
    # Validate everything that does not need the file before storing the file.
    draft = _draft(parsed, who.party_id, None, now)
    content = None
    if file is not None:
        media, name = _describe(parsed, file)
        # Not yet durable: the committer flushes the files of a whole group before its records.
        # A small file for the local store is written here: a worker thread would cost more.
        put = partial(ctx.blobs.put, file.file, private=not parsed.public, sync=False)
        small = file.size is not None and file.size <= _INLINE_PUT_BYTES
        info = put() if ctx.blobs.local and small else await run_in_threadpool(put)
        content = Content(
            sha256=info.sha256,
            sm3=info.sm3,
            size=info.content_size,
            media_type=media,
            cid=info.cid,
            name=name,
        )
        draft = _draft(parsed, who.party_id, content, now)
    _check_signatures(ctx, draft)
    accepted = await ctx.committer.accept(draft, blob=file is not None)
    ctx.metrics.records.inc()
    return RecordAccepted(
        id=accepted.record_id,
        leaf_index=accepted.entry.index,
        leaf_hash=accepted.entry.leaf_hash.hex(),
        receipt=accepted.receipt,
    )


_MEDIA_TYPE = TypeAdapter(MediaType)
_INLINE_PUT_BYTES = 256 * 1024


def _describe(meta: RecordMeta, file: UploadFile) -> tuple[str, str | None]:
    """The file's media type and name for its record. A media type the client states in ``meta``
    must be valid; the one its multipart part carries is a hint, dropped when it is not."""
    # A client's file name is a label: keep at most what a record holds (255 characters).
    name = meta.name or (file.filename or "")[:255] or None
    if meta.media_type is not None:
        try:
            return _MEDIA_TYPE.validate_python(_bare(meta.media_type)), name
        except ValidationError as e:
            raise RecordError("not a media type like 'image/jpeg'", field="meta.media_type") from e
    try:
        return _MEDIA_TYPE.validate_python(_bare(file.content_type or "")), name
    except ValidationError:
        return "application/octet-stream", name


def _bare(media_type: str) -> str:
    """``Image/JPEG; q=1`` → ``image/jpeg``."""
    return media_type.split(";", maxsplit=1)[0].strip().lower()


@router.get("/v1/records/{record_id}", response_model=RecordOut, responses=ERRORS, tags=["records"])
def get_record(ctx: Ctx, who: MaybePrincipal, record_id: str) -> RecordOut:
    stored, _ = readable(ctx, record_id, who)
    anchored = ctx.anchors.covering(stored.index) is not None
    return RecordOut(
        id=stored.record_id,
        leaf_index=stored.index,
        leaf_hash=stored.leaf_hash.hex(),
        public=stored.public,
        status="anchored" if anchored else "pending",
        record=json.loads(stored.entry),
    )


def proof_bundle(ctx: AppContext, stored: Any) -> ProofBundle | None:
    anchor = ctx.anchors.covering(stored.index)
    if anchor is None:
        return None
    signers = [(s.party, s.key_id) for s in stored.record.signatures]
    return ctx.notary.bundle(
        stored.record_id,
        checkpoint=ctx.notary.log.checkpoint(anchor.tree_size),
        anchor=anchor.bundle_anchor(),
        key_leaves=ctx.parties.registration_leaves(signers) if signers else (),
    )


@router.get(
    "/v1/records/{record_id}/proof", responses={**ERRORS, 202: {"model": Pending}}, tags=["records"]
)
def get_proof(ctx: Ctx, who: MaybePrincipal, record_id: str) -> JSONResponse:
    """The proof bundle (``sunlight-proof/1``) once anchored; 202 while pending."""
    stored, _ = readable(ctx, record_id, who)
    bundle = proof_bundle(ctx, stored)
    if bundle is None:
        return JSONResponse(
            Pending(
                status="pending",
                leaf_index=stored.index,
                detail="in the log; waiting to be anchored",
            ).model_dump(),
            status_code=202,
        )
    return JSONResponse(bundle.to_json())


@router.get(
    "/v1/records/{record_id}/file",
    responses=ERRORS,
    tags=["records"],
    response_class=StreamingResponse,
)
def get_file(ctx: Ctx, who: MaybePrincipal, record_id: str) -> StreamingResponse:
    """The notarized file (decrypted for authorised parties when it is private)."""
    _, record = readable(ctx, record_id, who)
    if record.content is None or record.content.cid is None:
        raise NotFoundError("this record notarizes no stored file")
    reader = ctx.blobs.open(record.content.cid)

    def chunks() -> Any:
        with reader:
            while chunk := reader.read(1 << 20):
                yield chunk

    name = (record.content.name or "file").replace('"', "")
    return StreamingResponse(
        chunks(),
        media_type=record.content.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "Content-Length": str(record.content.size),
        },
    )


@router.get(
    "/v1/records/{record_id}/certificate.pdf",
    responses=ERRORS,
    tags=["records"],
    response_class=Response,
)
def get_certificate(ctx: Ctx, who: MaybePrincipal, record_id: str, request: Request) -> Response:
    """The evidence certificate (存证证书) with a QR code to the verification page."""
    stored, record = readable(ctx, record_id, who)
    from api.render.certificate import render_certificate  # noqa: PLC0415 - PDF libraries load lazily

    base = _public_base(ctx, request)
    anchor = ctx.anchors.covering(stored.index)
    pdf = render_certificate(
        record_id=stored.record_id,
        record=record,
        leaf_index=stored.index,
        leaf_hash=stored.leaf_hash.hex(),
        checkpoint=ctx.notary.log.checkpoint(anchor.tree_size) if anchor else None,
        anchor=anchor.bundle_anchor() if anchor else None,
        verify_url=f"{base}/verify?id={stored.record_id}",
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{stored.record_id}.pdf"'},
    )


def _public_base(ctx: AppContext, request: Request) -> str:
    """Where certificates send people to verify: SUNLIGHT_PUBLIC_BASE_URL, else the URL this request
    came in on, but only for a host SUNLIGHT_ALLOWED_HOSTS lists: the client writes the Host header,
    and a certificate must not point to a server of the client's choosing."""
    settings = ctx.settings
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    host = request.headers.get("host", "")
    if not settings.allows_host(host):
        raise HostNotAllowedError(
            f"this server does not know its public address and will not take it from the Host "
            f"header ({host[:100]!r} is not in SUNLIGHT_ALLOWED_HOSTS): the operator should set "
            f"SUNLIGHT_PUBLIC_BASE_URL"
        )
    return str(request.base_url).rstrip("/")
