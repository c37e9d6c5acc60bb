"""Records: notarize (``POST /v1/records``), read, prove, download, certify."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError

from api.context import AppContext
from api.routes.deps import (
    Ctx,
    CurrentParty,
    MaybePrincipal,
    photo_evidence,
    readable,
    require_role,
)
from api.routes.schemas import (
    ERRORS,
    Pending,
    RecordAccepted,
    RecordOut,
)
from api.service.devices import require_device_signature
from api.service.records import RecordMeta, Upload, proof_bundle
from api.service.submission import parse_key, submit_record
from api.settings import HostNotAllowedError
from notary import jsonin
from notary.errors import NotFoundError, RecordError
from notary.records import first_problem

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
    *,
    meta: Annotated[str, Form(max_length=300_000, description="JSON: RecordMeta")],
    response: Response,
    file: Annotated[UploadFile | None, File(description="The file to notarize")] = None,
    upload_id: Annotated[
        str | None, Form(max_length=64, description="A finished upload (tus) instead of file")
    ] = None,
    idempotency_key: Annotated[
        str | None, Header(description='Makes retries safe, e.g. "8e03978e-40d5-…"')
    ] = None,
) -> RecordAccepted:
    """Notarize a record (and its file). Returns at once with a signed receipt. A retry with the
    same ``Idempotency-Key`` gets the same answer (docs/api.md, "Retries and resumable uploads")."""
    require_role(who, "submitter", "admin")
    parsed = _parse_meta(meta)
    require_device_signature(who, [(s.get("party"), s.get("key_id")) for s in parsed.signatures])
    upload = (
        None if file is None else Upload(file.file, file.filename, file.content_type, file.size)
    )
    key = parse_key(idempotency_key)
    outcome = await submit_record(
        ctx, parsed, who.party_id, upload=upload, upload_id=upload_id, key=key
    )
    accepted = outcome.accepted
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        ctx.metrics.records.inc()
    return RecordAccepted(
        id=accepted.record_id,
        leaf_index=accepted.entry.index,
        leaf_hash=accepted.entry.leaf_hash.hex(),
        receipt=accepted.receipt,
    )


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
        evidence=photo_evidence(ctx, who, [stored]).get(stored.index),
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
