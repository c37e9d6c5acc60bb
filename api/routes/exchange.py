"""The data interface's export over HTTP: streamed, resumable by position
(docs/data-interface.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api.routes.deps import Ctx, MaybePrincipal
from api.routes.schemas import ERRORS
from api.service.export import Export, Format, Source, export_lines, parse_after
from api.service.records import proof_bundle

router = APIRouter(tags=["data interface"])

_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get(
    "/v1/export/{what}",
    responses={**ERRORS, 200: {"content": {m: {} for m in _MEDIA.values()}}},
    response_class=StreamingResponse,
)
async def export(
    ctx: Ctx,
    who: MaybePrincipal,
    what: Export,
    format: Format = "jsonl",
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """Projects, records, alerts or proof bundles after a position (a leaf index; for projects, a
    code), as JSON Lines or CSV. Private records only to those who may read them."""
    start = parse_after(what, after)
    source = Source(
        engine=ctx.notary.log.engine,
        projects=ctx.projects,
        bundle=lambda stored: proof_bundle(ctx, stored),
        reader=who.party_id if who else None,
        reads_private=who is not None and who.has("admin", "auditor"),
    )
    lines = export_lines(source, what, format, start)
    first = await run_in_threadpool(next, lines, b"")  # a failure here is still a JSON error

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in iterate_in_threadpool(lines):
            yield chunk

    return StreamingResponse(
        body(), media_type=_MEDIA[format], headers={"Cache-Control": "no-store"}
    )
