"""Resumable uploads, tus 1.0 (core, creation, termination, checksum, expiration): a large file
sent in pieces that survive dropped connections, then made a record by ``POST /v1/records`` with
``upload_id``. Uploads belong to the party that created them; anyone else gets 404."""

from __future__ import annotations

import base64
import binascii
import hashlib
from email.utils import formatdate
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Path, Request, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from api.routes.deps import Ctx, CurrentParty, require_role
from api.routes.schemas import ERRORS
from api.storage.blobs.durability import write_failed
from api.storage.uploads import (
    ChecksumMismatchError,
    UnsupportedContentTypeError,
    UploadInfo,
    UploadOffsetError,
    UploadOverrunError,
    UploadStore,
)
from notary.errors import BlobTooLargeError, InvalidRequestError

router = APIRouter(tags=["uploads"])

TUS_VERSION = "1.0.0"
TUS = {"Tus-Resumable": TUS_VERSION}
#: Checksum algorithms of ``Upload-Checksum`` (tus checksum extension; sha1 is required by it).
CHECKSUMS = ("sha1", "sha256")
OFFSET_OCTET_STREAM = "application/offset+octet-stream"
UploadId = Annotated[str, Path(max_length=64)]


def _tus(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise HTTPException(
            412,
            f"this server speaks tus {TUS_VERSION}: send 'Tus-Resumable: {TUS_VERSION}'",
            headers={"Tus-Version": TUS_VERSION, **TUS},
        )


def _count(value: str | None, name: str) -> int:
    if value is None or not value.isdigit() or not value.isascii() or len(value) > 19:
        raise InvalidRequestError(f"{name} must be a non-negative integer")
    return int(value)


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs, keys unique."""
    if not header:
        return {}
    if len(header) > 4096 or header.count(",") >= 32:
        raise InvalidRequestError("Upload-Metadata: at most 32 pairs in 4096 characters")
    found: dict[str, str] = {}
    for pair in header.split(","):
        key, _, value = pair.strip().partition(" ")
        if not key or key in found or not key.isascii() or not key.isprintable() or " " in value:
            raise InvalidRequestError(f"Upload-Metadata: bad or repeated pair {pair[:60]!r}")
        try:
            found[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError) as e:
            raise InvalidRequestError(f"Upload-Metadata: {key} is not base64 of UTF-8") from e
    return found


def _checksum(header: str | None) -> tuple[str, bytes] | None:
    if header is None:
        return None
    algorithm, _, value = header.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise HTTPException(400, f"Upload-Checksum: use one of {', '.join(CHECKSUMS)}", TUS)
    try:
        return algorithm, base64.b64decode(value, validate=True)
    except binascii.Error as e:
        raise InvalidRequestError("Upload-Checksum: the digest must be base64") from e


def _expires(uploads: UploadStore, info: UploadInfo) -> str:
    return formatdate(uploads.expires_at(info), usegmt=True)


@router.options("/v1/uploads", status_code=204, response_class=Response)
async def discover(ctx: Ctx) -> Response:
    """What this tus server supports."""
    return Response(
        status_code=204,
        headers={
            **TUS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": "creation,termination,checksum,expiration",
            "Tus-Max-Size": str(ctx.settings.max_upload_bytes),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
        },
    )


@router.post("/v1/uploads", status_code=201, responses=ERRORS, response_class=Response)
async def create_upload(ctx: Ctx, who: CurrentParty, request: Request) -> Response:
    """Create an upload (``Upload-Length``, optional ``Upload-Metadata`` with ``filename`` and
    ``filetype``); its URL is in ``Location``."""
    require_role(who, "submitter", "admin")
    _tus(request)
    length = _count(request.headers.get("upload-length"), "Upload-Length")
    if length > ctx.settings.max_upload_bytes:
        raise BlobTooLargeError(ctx.settings.max_upload_bytes)
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    info = await to_thread.run_sync(ctx.uploads.create, who.party_id, length, metadata)
    return Response(
        status_code=201,
        headers={
            **TUS,
            "Location": f"/v1/uploads/{info.id}",
            "Upload-Offset": "0",
            "Upload-Expires": _expires(ctx.uploads, info),
        },
    )


@router.head("/v1/uploads/{upload_id}", responses=ERRORS, response_class=Response)
async def upload_offset(
    ctx: Ctx, who: CurrentParty, upload_id: UploadId, request: Request
) -> Response:
    """How many bytes the upload has (``Upload-Offset``): resume from there."""
    require_role(who, "submitter", "admin")
    _tus(request)
    info = ctx.uploads.info(upload_id, who.party_id)
    async with ctx.uploads.locked(upload_id):  # a PATCH still running ends first
        offset = ctx.uploads.offset(upload_id)
    return Response(
        status_code=200,
        headers={
            **TUS,
            "Upload-Offset": str(offset),
            "Upload-Length": str(info.length),
            "Upload-Expires": _expires(ctx.uploads, info),
            "Cache-Control": "no-store",
        },
    )


@router.patch("/v1/uploads/{upload_id}", status_code=204, responses=ERRORS, response_class=Response)
async def append_upload(
    ctx: Ctx, who: CurrentParty, upload_id: UploadId, request: Request
) -> Response:
    """Append the body (``application/offset+octet-stream``) at ``Upload-Offset``, which must be
    the upload's offset. Answers once the bytes are on disk (fsync)."""
    require_role(who, "submitter", "admin")
    _tus(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != OFFSET_OCTET_STREAM:
        raise UnsupportedContentTypeError(f"a PATCH's Content-Type is {OFFSET_OCTET_STREAM}")
    start = _count(request.headers.get("upload-offset"), "Upload-Offset")
    checksum = _checksum(request.headers.get("upload-checksum"))
    info = ctx.uploads.info(upload_id, who.party_id)
    declared = request.headers.get("content-length")
    async with ctx.uploads.locked(upload_id):
        offset = ctx.uploads.offset(upload_id)
        if start != offset:
            raise UploadOffsetError(f"Upload-Offset is {start}, the upload's offset {offset}")
        if declared is not None and start + _count(declared, "Content-Length") > info.length:
            raise UploadOverrunError(info.length)
        end = await _receive(ctx.uploads, request, info, offset, checksum)
    headers = {**TUS, "Upload-Offset": str(end), "Upload-Expires": _expires(ctx.uploads, info)}
    return Response(status_code=204, headers=headers)


async def _receive(
    uploads: UploadStore,
    request: Request,
    info: UploadInfo,
    offset: int,
    checksum: tuple[str, bytes] | None,
) -> int:
    """Write the body after ``offset``; return the new offset. A body cut off by its client keeps
    what arrived (unless it had a checksum, which only the whole chunk can match)."""
    hasher = hashlib.new(checksum[0]) if checksum else None
    end = keep = offset
    f = uploads.open_append(info.id)
    try:
        async for chunk in request.stream():
            if end + len(chunk) > info.length:
                raise UploadOverrunError(info.length)
            f.write(chunk)
            if hasher is not None:
                hasher.update(chunk)
            end += len(chunk)
        if checksum is not None and hasher is not None and hasher.digest() != checksum[1]:
            raise ChecksumMismatchError(f"the chunk's {checksum[0]} is not Upload-Checksum's")
        keep = end
    except ClientDisconnect:
        keep = end if checksum is None else offset
    except OSError as e:
        raise write_failed(e, "could not store the upload's bytes") from e
    finally:
        await to_thread.run_sync(UploadStore.finish, f, keep)
    return keep


@router.delete(
    "/v1/uploads/{upload_id}", status_code=204, responses=ERRORS, response_class=Response
)
async def terminate_upload(
    ctx: Ctx, who: CurrentParty, upload_id: UploadId, request: Request
) -> Response:
    """Delete an upload and its bytes (tus termination)."""
    require_role(who, "submitter", "admin")
    _tus(request)
    ctx.uploads.info(upload_id, who.party_id)
    async with ctx.uploads.locked(upload_id):
        ctx.uploads.delete(upload_id)
    return Response(status_code=204, headers=TUS)
