"""Verification: ``POST /v1/verify`` judged against this server's trust root, and ``GET /v1/trust``."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.context import AppContext
from api.routes.deps import (
    Ctx,
    MaybePrincipal,
    may_read,
)
from api.routes.records import proof_bundle
from api.routes.schemas import (
    ERRORS,
    CheckOut,
    MatchOut,
    VerifyOut,
)
from api.storage.parties import Principal
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
from notary.errors import RecordError
from notary.trust import TRUST_FORMAT

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
        readable = may_read(who, stored.public, stored.record.submitter)
        bundle = proof_bundle(ctx, stored)
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
