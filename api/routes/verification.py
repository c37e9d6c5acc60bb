"""Verification: ``POST /v1/verify`` judged against this server's trust root, and ``GET /v1/trust``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.routes.deps import (
    Ctx,
    MaybePrincipal,
    may_read,
)
from api.routes.schemas import (
    ERRORS,
    CheckOut,
    MatchOut,
    VerifyOut,
)
from api.service.verification import DigestVerdict, Match, verify_digest, verify_proof
from api.storage.entries import StoredEntry
from api.storage.parties import Principal
from notary import jsonin
from notary.bundle import parse_bundle
from notary.digests import digest_stream
from notary.errors import RecordError
from notary.trust import TRUST_FORMAT
from notary.verdict import VerificationReport

router = APIRouter()

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
        by_file = partial(verify_digest, ctx, digest.sha256, digest, _reader(who))
        return _digest_verdict(await run_in_threadpool(by_file))
    body = await request.body()
    doc = _json(body)
    if isinstance(doc, dict) and set(doc) == {"sha256"}:
        sha = doc["sha256"]
        if not isinstance(sha, str) or len(sha) != 64 or not _is_hex(sha):
            raise RecordError("must be 64 hexadecimal digits", field="sha256")
        by_hash = partial(verify_digest, ctx, sha.lower(), None, _reader(who))
        return _digest_verdict(await run_in_threadpool(by_hash))
    bundle = parse_bundle(doc)
    report = await run_in_threadpool(verify_proof, ctx, bundle)
    return _verdict(report, records=[])


def _reader(who: Principal | None) -> Callable[[StoredEntry], bool]:
    """Whether ``who`` may read a stored record."""

    def readable(stored: StoredEntry) -> bool:
        return may_read(who, stored.public, stored.record.submitter)

    return readable


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


def _digest_verdict(verdict: DigestVerdict) -> VerifyOut:
    return _verdict(verdict.report, records=[_match(m) for m in verdict.matches])


def _match(m: Match) -> MatchOut:
    stored = m.stored
    return MatchOut(
        id=stored.record_id if m.readable else None,
        leaf_index=stored.index,
        leaf_hash=stored.leaf_hash.hex(),
        public=stored.public,
        status="anchored" if m.bundle else "pending",
        level=m.report.level.value if m.report else None,
        record=json.loads(stored.entry) if m.readable else None,
        bundle=m.bundle.to_json() if m.bundle and m.readable else None,
    )


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
