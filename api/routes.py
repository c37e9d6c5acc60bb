"""The HTTP routes (stable ones from DESIGN.md, and party administration)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.app import AppContext
from api.http import client_key
from api.parties import AuthError, ForbiddenError, Party, Principal, RateLimitedError
from api.settings import HostNotAllowedError
from notary import jsonin
from notary.bundle import (
    Check,
    Level,
    ProofBundle,
    VerificationReport,
    parse_bundle,
    verify_bundle,
)
from notary.digests import ContentDigest, digest_stream
from notary.errors import InvalidRequestError, NotFoundError, RecordError
from notary.keys import KEY_REGISTRATION, KEY_REVOCATION, registration_data, revocation_data
from notary.records import (
    Content,
    MediaType,
    Record,
    RecordSignature,
    first_problem,
    verify_record_signature,
)
from notary.signing import Checkpoint, Receipt
from notary.trust import TRUST_FORMAT

router = APIRouter()

# --- dependencies ---------------------------------------------------------------------------------


# Dependencies are coroutines: FastAPI runs a plain function in a worker thread, a hop that costs
# more than these take.


async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def optional_principal(request: Request, ctx: Ctx) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    client = client_key(request.scope)
    if ctx.auth_limiter.blocked(client):  # locked out by earlier bad tokens: don't even look
        raise RateLimitedError("too many invalid tokens from this address; wait a minute")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        raise AuthError("use 'Authorization: Bearer <token>'")
    who = ctx.parties.recently_checked(token)
    if who is not None:
        return who
    try:
        return await run_in_threadpool(ctx.parties.authenticate, token)
    except AuthError:
        ctx.auth_limiter.allow(client)
        raise


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def principal(who: MaybePrincipal) -> Principal:
    if who is None:
        raise AuthError("this route needs a bearer token")
    return who


CurrentParty = Annotated[Principal, Depends(principal)]


def _require(who: Principal, *roles: str) -> None:
    if not who.has(*roles):
        raise ForbiddenError(f"party {who.party_id} lacks the role: one of {', '.join(roles)}")


def _may_read(who: Principal | None, stored_public: bool, submitter: str) -> bool:
    if stored_public:
        return True
    return who is not None and (who.has("admin", "auditor") or who.party_id == submitter)


# --- schemas --------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    error: str
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


class RecordMeta(BaseModel):
    """The ``meta`` form field of ``POST /v1/records``."""

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


class RecordAccepted(BaseModel):
    id: str
    leaf_index: int
    leaf_hash: str
    receipt: Receipt


class RecordOut(BaseModel):
    id: str
    leaf_index: int
    leaf_hash: str
    public: bool
    status: Literal["anchored", "pending"]
    record: dict[str, Any]


class Pending(BaseModel):
    status: Literal["pending"]
    leaf_index: int
    detail: str


class CheckOut(BaseModel):
    check: str
    passed: bool | None
    detail: str


class MatchOut(BaseModel):
    """A record that notarizes the file. Of a private record, a caller who may not read it learns
    only the leaf, whether it is anchored and the verdict: ``id``, ``record`` and ``bundle`` are
    null and ``public`` is false."""

    id: str | None
    leaf_index: int
    leaf_hash: str
    public: bool
    status: Literal["anchored", "pending"]
    #: This match's verdict level once anchored (see VerifyOut.level); null while pending.
    level: str | None = None
    record: dict[str, Any] | None
    bundle: dict[str, Any] | None


class VerifyOut(BaseModel):
    verified: bool = Field(description="True only for an authenticated verdict (level below)")
    level: Literal["anchored", "verified_by_log", "not_authenticated", "not_verified"] = Field(
        description="anchored: in this log and anchored on its chain; verified_by_log: signed by "
        "this log's key, not (yet) anchored; not_verified: a check failed (see reason)"
    )
    reason: str
    trust: dict[str, Any] | None = Field(description="The trust root that authenticated it")
    checks: list[CheckOut]
    records: list[MatchOut]


class AnchorOut(BaseModel):
    status: str
    tree_size: int
    checkpoint: Checkpoint | None
    chain_id: int | None = None
    contract: str | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    block_hash: str | None = None


class CheckpointOut(BaseModel):
    checkpoint: Checkpoint
    anchor: dict[str, Any] | None


class ConsistencyOut(BaseModel):
    from_size: int = Field(alias="from")
    to_size: int = Field(alias="to")
    root_from: str
    root_to: str
    proof: list[str]

    model_config = ConfigDict(populate_by_name=True)


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
    #: A display name: any text but control characters (PostgreSQL refuses NUL in text).
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    kind: Literal["organisation", "person"]
    roles: list[Literal["admin", "submitter", "auditor"]] = Field(min_length=1, max_length=3)


class PartyOut(BaseModel):
    id: str
    name: str
    kind: str
    roles: list[str]
    created_at: str


class TokenOut(BaseModel):
    token_id: str
    party_id: str
    token: str = Field(description="Shown once: only its hash is stored.")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
    public_key: str = Field(max_length=64, description="Raw Ed25519 public key, base64")


class KeyOut(BaseModel):
    party: str
    key_id: str
    #: The key_registration (or key_revocation) record in the log, and its signed receipt.
    record_id: str
    receipt: Receipt


class Health(BaseModel):
    status: Literal["ok"]
    log_size: int
    log_id: str


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
    _require(who, "submitter", "admin")
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


def _known(value: str, what: str) -> str:
    """A path parameter that names an object: one that cannot exist (too long, or holding a NUL,
    which PostgreSQL refuses in text) is simply not found."""
    if len(value) > 128 or "\x00" in value:
        raise NotFoundError(f"no such {what}")
    return value


def _readable(ctx: AppContext, record_id: str, who: Principal | None) -> tuple[Any, Record]:
    if len(record_id) > 64 or "\x00" in record_id:
        raise NotFoundError("no such record")
    stored = ctx.notary.log.get(record_id)
    record = stored.record
    if not _may_read(who, stored.public, record.submitter):
        # Same answer as an unknown id: the existence of a private record is not disclosed here.
        raise NotFoundError(f"no record with id {record_id}")
    return stored, record


@router.get("/v1/records/{record_id}", response_model=RecordOut, responses=ERRORS, tags=["records"])
def get_record(ctx: Ctx, who: MaybePrincipal, record_id: str) -> RecordOut:
    stored, _ = _readable(ctx, record_id, who)
    anchored = ctx.anchors.covering(stored.index) is not None
    return RecordOut(
        id=stored.record_id,
        leaf_index=stored.index,
        leaf_hash=stored.leaf_hash.hex(),
        public=stored.public,
        status="anchored" if anchored else "pending",
        record=json.loads(stored.entry),
    )


def _bundle(ctx: AppContext, stored: Any) -> ProofBundle | None:
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
    stored, _ = _readable(ctx, record_id, who)
    bundle = _bundle(ctx, stored)
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
    _, record = _readable(ctx, record_id, who)
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
    stored, record = _readable(ctx, record_id, who)
    from api.certificate import render_certificate  # noqa: PLC0415 - PDF libraries load lazily

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


# --- anchoring and checkpoints ---------------------------------------------------------------------


@router.post(
    "/v1/anchor",
    response_model=AnchorOut,
    responses={**ERRORS, 502: {"model": ErrorBody}},
    tags=["anchoring"],
)
async def anchor_now(ctx: Ctx, who: CurrentParty) -> AnchorOut:
    """(administrator) Anchor the current log now and wait for confirmation."""
    _require(who, "admin")
    anchorer = await run_in_threadpool(ctx.get_anchorer)
    result = await run_in_threadpool(anchorer.run_once, force=True)
    if result is None:
        latest = ctx.anchors.latest_confirmed()
        return AnchorOut(
            status="up_to_date", tree_size=latest.tree_size if latest else 0, checkpoint=None
        )
    return AnchorOut(
        status=result.status,
        tree_size=result.tree_size,
        checkpoint=result.checkpoint,
        chain_id=result.chain_id,
        contract=result.contract,
        tx_hash=result.tx_hash,
        block_number=result.block_number,
        block_hash=result.block_hash,
    )


@router.get(
    "/v1/checkpoints/latest", response_model=CheckpointOut, responses=ERRORS, tags=["checkpoints"]
)
def latest_checkpoint(ctx: Ctx) -> CheckpointOut:
    """The latest anchored checkpoint (or the latest signed one before any anchor)."""
    anchor = ctx.anchors.latest_confirmed()
    if anchor is not None:
        return CheckpointOut(
            checkpoint=ctx.notary.log.checkpoint(anchor.tree_size),
            anchor=anchor.bundle_anchor().model_dump(),
        )
    return CheckpointOut(checkpoint=ctx.notary.log.checkpoint(), anchor=None)


@router.get(
    "/v1/checkpoints/consistency",
    response_model=ConsistencyOut,
    responses=ERRORS,
    tags=["checkpoints"],
)
def consistency(
    ctx: Ctx,
    from_size: Annotated[int, Query(alias="from", ge=0, le=2**62)],
    to_size: Annotated[int, Query(alias="to", ge=0, le=2**62)],
) -> ConsistencyOut:
    """RFC 6962 consistency proof between two tree sizes of the log."""
    size, _ = ctx.notary.log.state()
    if not from_size <= to_size <= size:
        raise InvalidRequestError(f"from, to: need 0 <= from <= to <= {size} (the log's size)")
    proof = ctx.notary.log.consistency_proof(from_size, to_size)
    return ConsistencyOut(
        from_size=from_size,
        to_size=to_size,
        root_from=ctx.notary.log.root(from_size).hex(),
        root_to=ctx.notary.log.root(to_size).hex(),
        proof=[p.hex() for p in proof],
    )


#: What the embedded chain's JSON-RPC answers: reads only, enough for any verifier.
_CHAIN_READS = frozenset(
    {
        "eth_chainId",
        "net_version",
        "eth_blockNumber",
        "eth_call",
        "eth_getCode",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_getLogs",
    }
)


@router.post("/v1/chain/rpc", tags=["anchoring"], responses=ERRORS)
async def embedded_chain_rpc(ctx: Ctx, request: Request) -> JSONResponse:
    """Read-only Ethereum JSON-RPC of the embedded chain (trials on one machine only), so that
    ``sunlight verify --rpc-url <base>/v1/chain/rpc`` checks anchors exactly as on a real node."""
    if ctx.settings.chain_rpc_url:
        raise NotFoundError("this server uses an external chain: ask that node directly")
    call = _json(await request.body())
    if not isinstance(call, dict) or call.get("method") not in _CHAIN_READS:
        raise ForbiddenError(
            f"only these read methods are served: {', '.join(sorted(_CHAIN_READS))}"
        )
    params = call.get("params", [])
    if not isinstance(params, list):
        raise RecordError("params must be a list", field="params")
    chain = await run_in_threadpool(ctx.chain)
    w3 = getattr(chain, "w3", None)
    if w3 is None:
        raise NotFoundError("the chain backend offers no JSON-RPC")
    if call["method"] == "eth_call" and params and isinstance(params[0], dict):
        # eth-tester insists on a sender even for calls; any account reads the same state.
        params = [{"from": w3.eth.default_account, **params[0]}, *params[1:]]
    try:
        answer = await run_in_threadpool(_tester_rpc(w3), call["method"], params)
    except Exception as e:  # eth-tester raises its own types for reverts and bad input
        # What a node answers: a JSON-RPC error object (code 3 for a reverted call), not a 500.
        reverted = type(e).__name__ == "TransactionFailed"
        answer = {"error": {"code": 3 if reverted else -32602, "message": str(e)[:500]}}
    return JSONResponse({**_rpc_encoded(answer), "jsonrpc": "2.0", "id": call.get("id")})


def _rpc_encoded(value: Any, key: str = "") -> Any:
    """web3's Python values in the encoding a node answers with: numbers as ``0x`` quantities,
    bytes as ``0x`` data (the 2048-bit ``logsBloom``, which web3 turns into an int, too)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return "0x" + value.to_bytes(256, "big").hex() if key == "logsBloom" else hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {k: _rpc_encoded(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rpc_encoded(v, key) for v in value]
    return str(value)


def _tester_rpc(w3: Any) -> Any:
    """The eth-tester provider's request function behind its own formatting middleware, which maps
    JSON-RPC's camelCase and hex quantities to eth-tester's arguments and its results back (without
    it ``eth_getLogs`` fails and receipts come back in eth-tester's snake_case)."""
    from web3.middleware import combine_middleware  # noqa: PLC0415

    provider = w3.provider
    fn = getattr(provider, "_sunlight_rpc", None)
    if fn is None:
        fn = combine_middleware(
            getattr(provider, "_middleware", ()), w3=w3, provider_request_fn=provider.make_request
        )
        provider._sunlight_rpc = fn
    return fn


# --- verification ---------------------------------------------------------------------------------

_VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["sha256"],
                            "additionalProperties": False,
                            "properties": {
                                "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
                            },
                        },
                        {
                            "type": "object",
                            "required": ["format"],
                            "properties": {
                                "format": {"type": "string", "enum": ["sunlight-proof/1"]}
                            },
                            "description": "a sunlight-proof/1 bundle",
                        },
                    ]
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


@router.post(
    "/v1/verify",
    response_model=VerifyOut,
    responses=ERRORS,
    tags=["verification"],
    openapi_extra=_VERIFY_BODY,
)
async def verify(ctx: Ctx, who: MaybePrincipal, request: Request) -> VerifyOut:
    """Verify a proof bundle, a SHA-256, or a file. Every check is reported by name; a private
    record found by its file is shown in full only to those who may read it."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=1)
        upload = form.get("file")
        if not isinstance(upload, StarletteUploadFile):
            raise RecordError("send the file as the multipart field 'file'", field="file")
        digest = await run_in_threadpool(digest_stream, upload.file, sm3=ctx.settings.sm3)
        return await run_in_threadpool(_verify_hash, ctx, digest.sha256, digest, who)
    body = await request.body()
    doc = _json(body)
    if isinstance(doc, dict) and set(doc) == {"sha256"}:
        sha = doc["sha256"]
        if not isinstance(sha, str) or len(sha) != 64 or not _is_hex(sha):
            raise RecordError("must be 64 hexadecimal digits", field="sha256")
        return await run_in_threadpool(_verify_hash, ctx, sha.lower(), None, who)
    bundle = parse_bundle(doc)
    report = await run_in_threadpool(_verify_bundle, ctx, bundle, None)
    return _verdict(report, records=[])


def _json(body: bytes) -> Any:
    """A request body's JSON, read strictly (:func:`notary.jsonin.loads`). The middleware checked
    it already if it was declared JSON; these routes read it whatever its content type."""
    return jsonin.loads(body, what="request body")


def _is_hex(s: str) -> bool:
    try:
        bytes.fromhex(s)
    except ValueError:
        return False
    return True


def _verdict(report: VerificationReport, records: list[MatchOut]) -> VerifyOut:
    return VerifyOut(
        verified=report.verified,
        level=report.level.value,
        reason=report.reason,
        trust=report.trust,
        checks=_checks(report.checks),
        records=records,
    )


def _checks(checks: Any) -> list[CheckOut]:
    return [CheckOut(check=c.name, passed=c.passed, detail=c.detail) for c in checks]


def _verify_bundle(
    ctx: AppContext, bundle: ProofBundle, digest: ContentDigest | None
) -> VerificationReport:
    """Judged against this server's own log key and its configured chain, never the bundle's."""
    trust, chain = ctx.trust()
    return verify_bundle(bundle, trust=trust, file_digest=digest, chain=chain)


def _verify_hash(
    ctx: AppContext, sha256: str, digest: ContentDigest | None, who: Principal | None
) -> VerifyOut:
    matches = ctx.notary.log.find_by_content(sha256, limit=20)
    if not matches:
        missing = Check("found", False, "no record in this log notarizes a file with this SHA-256")
        return _verdict(VerificationReport.judge([missing], None), records=[])
    out: list[MatchOut] = []
    best: VerificationReport | None = None
    for stored in matches:
        readable = _may_read(who, stored.public, stored.record.submitter)
        bundle = _bundle(ctx, stored)
        report = _verify_bundle(ctx, bundle, digest) if bundle is not None else None
        if report is not None and not readable:
            report = _withheld(report)
        if report is not None and (best is None or _RANK[report.level] < _RANK[best.level]):
            best = report
        out.append(
            MatchOut(
                id=stored.record_id if readable else None,
                leaf_index=stored.index,
                leaf_hash=stored.leaf_hash.hex(),
                public=stored.public,
                status="anchored" if bundle else "pending",
                level=report.level.value if report else None,
                record=json.loads(stored.entry) if readable else None,
                bundle=bundle.to_json() if bundle and readable else None,
            )
        )
    found = Check("found", True, f"{len(out)} record(s) notarize this file")
    if best is None:  # in the log, none anchored yet: the server vouches for its own log
        pending = Check("anchor", None, "in this log; waiting to be anchored")
        return _verdict(VerificationReport.judge([found, pending], None), records=out)
    verdict = VerificationReport(best.level, best.reason, (found, *best.checks), best.trust)
    return _verdict(verdict, records=out)


_RANK = {level: rank for rank, level in enumerate(Level)}
_OUTCOME = {True: "passed", False: "failed", None: "not checked"}


def _withheld(report: VerificationReport) -> VerificationReport:
    """``report`` on a private record, for a caller who may not read it: the verdict and the
    outcome of each check, without their details (which may quote the record: its file's size, a
    signer) or the checks named after a signing party."""
    checks = tuple(
        Check(c.name, c.passed, _OUTCOME[c.passed]) for c in report.checks if ":" not in c.name
    )
    reason = f"{report.level.value} (the details concern a private record)"
    return replace(report, reason=reason, checks=checks)


# --- parties ---------------------------------------------------------------------------------------


@router.post(
    "/v1/parties", status_code=201, response_model=PartyOut, responses=ERRORS, tags=["parties"]
)
def create_party(ctx: Ctx, who: CurrentParty, body: PartyIn) -> PartyOut:
    """(administrator) Register an organisation or a person with roles."""
    _require(who, "admin")
    return _party_out(ctx.parties.create_party(body.id, body.name, body.kind, tuple(body.roles)))


@router.get("/v1/parties/me", response_model=PartyOut, responses=ERRORS, tags=["parties"])
def me(ctx: Ctx, who: CurrentParty) -> PartyOut:
    if who.party_id == "admin" and who.roles == frozenset({"admin"}):
        return PartyOut(
            id="admin",
            name="bootstrap administrator",
            kind="person",
            roles=["admin"],
            created_at="",
        )
    return _party_out(ctx.parties.party(who.party_id))


def _party_out(party: Party) -> PartyOut:
    return PartyOut(
        id=party.id,
        name=party.name,
        kind=party.kind,
        roles=list(party.roles),
        created_at=party.created_at,
    )


@router.post(
    "/v1/parties/{party_id}/tokens",
    status_code=201,
    response_model=TokenOut,
    responses=ERRORS,
    tags=["parties"],
)
def issue_token(ctx: Ctx, who: CurrentParty, party_id: str) -> TokenOut:
    """(administrator) A new bearer token for a party. Shown once."""
    _require(who, "admin")
    issued = ctx.parties.issue_token(_known(party_id, "party"))
    return TokenOut(token_id=issued.id, party_id=issued.party_id, token=issued.token)


@router.delete("/v1/tokens/{token_id}", status_code=204, responses=ERRORS, tags=["parties"])
def revoke_token(ctx: Ctx, who: CurrentParty, token_id: str) -> Response:
    """(administrator) Revoke a token at once."""
    _require(who, "admin")
    ctx.parties.revoke_token(_known(token_id, "token"))
    return Response(status_code=204)


@router.post(
    "/v1/parties/{party_id}/keys",
    status_code=201,
    response_model=KeyOut,
    responses=ERRORS,
    tags=["parties"],
)
async def add_key(ctx: Ctx, who: CurrentParty, party_id: str, body: KeyIn) -> KeyOut:
    """Register a signing key (the party itself, or an administrator). The registration is a
    ``key_registration`` record of the log, so signatures by the key are checkable offline."""
    if who.party_id != party_id:
        _require(who, "admin")
    party_id = _known(party_id, "party")
    raw = await run_in_threadpool(ctx.parties.new_key, party_id, body.key_id, body.public_key)
    record = Record(
        kind=KEY_REGISTRATION,
        data=registration_data(party_id, body.key_id, raw),
        submitter=who.party_id,
        received_at=ctx.notary.clock(),
    )
    accepted = await ctx.committer.accept(record, blob=False)
    await run_in_threadpool(
        partial(ctx.parties.add_key, party_id, body.key_id, raw, leaf=accepted.entry.index)
    )
    return KeyOut(
        party=party_id, key_id=body.key_id, record_id=accepted.record_id, receipt=accepted.receipt
    )


@router.delete(
    "/v1/parties/{party_id}/keys/{key_id}",
    response_model=KeyOut,
    responses=ERRORS,
    tags=["parties"],
)
async def revoke_key(ctx: Ctx, who: CurrentParty, party_id: str, key_id: str) -> KeyOut:
    """Revoke a signing key (the party itself, or an administrator): a ``key_revocation`` record
    of the log; signatures by the key are refused from then on."""
    if who.party_id != party_id:
        _require(who, "admin")
    party_id, key_id = _known(party_id, "party"), _known(key_id, "key")
    await run_in_threadpool(ctx.parties.active_key, party_id, key_id)
    record = Record(
        kind=KEY_REVOCATION,
        data=revocation_data(party_id, key_id, f"revoked by {who.party_id}"),
        submitter=who.party_id,
        received_at=ctx.notary.clock(),
    )
    accepted = await ctx.committer.accept(record, blob=False)
    await run_in_threadpool(ctx.parties.revoke_key, party_id, key_id)
    return KeyOut(
        party=party_id, key_id=key_id, record_id=accepted.record_id, receipt=accepted.receipt
    )


# --- operations -----------------------------------------------------------------------------------


@router.get("/v1/trust", tags=["verification"])
def trust_root(ctx: Ctx) -> dict[str, Any]:
    """This server's trust root as a ``sunlight-trust/1`` document: its log key and the chain and
    contract it anchors on. Fetch it once over a channel you trust, keep it, and verify with
    ``sunlight verify --trust``; the verification page pins it the same way."""
    trust, _ = ctx.trust()
    log = trust.logs[0]
    entry: dict[str, Any] = {
        "name": ctx.settings.public_base_url or "this log",
        "log_id": log.log_id,
        "public_key": base64.b64encode(log.public_key).decode(),
    }
    if log.chain is not None:
        entry["chain"] = log.chain.model_dump(exclude_none=True)
    return {"format": TRUST_FORMAT, "logs": [entry]}


@router.get("/healthz", response_model=Health, tags=["operations"])
def healthz(ctx: Ctx) -> Health:
    size, _ = ctx.notary.log.state()
    return Health(status="ok", log_size=size, log_id=ctx.notary.key.log_id)


@router.get("/metrics", tags=["operations"], response_class=Response)
def metrics(ctx: Ctx) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
