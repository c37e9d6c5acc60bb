"""Anchoring, checkpoints, consistency proofs and the embedded chain's read-only JSON-RPC."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from anchors.base import RPC_READ_METHODS, JsonRpcServer
from api.routes.deps import (
    Ctx,
    CurrentParty,
    require_role,
)
from api.routes.schemas import (
    ERRORS,
    AnchorOut,
    CheckpointOut,
    ConsistencyOut,
    ErrorBody,
)
from api.storage.parties import ForbiddenError
from notary import jsonin
from notary.errors import InvalidRequestError, NotFoundError, RecordError

router = APIRouter()

# --- anchoring and checkpoints ---------------------------------------------------------------------


@router.post(
    "/v1/anchor",
    response_model=AnchorOut,
    responses={**ERRORS, 502: {"model": ErrorBody}},
    tags=["anchoring"],
)
async def anchor_now(ctx: Ctx, who: CurrentParty) -> AnchorOut:
    """(administrator) Anchor the current log now and wait for confirmation."""
    require_role(who, "admin")
    anchorer = await run_in_threadpool(ctx.get_anchorer)
    result = await run_in_threadpool(anchorer.run_once, force=True)
    if result is None:
        latest = ctx.anchors.latest_confirmed()
        return AnchorOut.up_to_date(latest.tree_size if latest else 0)
    return AnchorOut.of(result)


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


@router.post("/v1/chain/rpc", tags=["anchoring"], responses=ERRORS)
async def embedded_chain_rpc(ctx: Ctx, request: Request) -> JSONResponse:
    """Read-only Ethereum JSON-RPC of the embedded chain (trials on one machine only), so that
    ``sunlight verify --rpc-url <base>/v1/chain/rpc`` checks anchors exactly as on a real node."""
    if ctx.settings.chain_rpc_url:
        raise NotFoundError("this server uses an external chain: ask that node directly")
    call = jsonin.loads(await request.body(), what="request body")
    method = call.get("method") if isinstance(call, dict) else None
    if not isinstance(method, str) or method not in RPC_READ_METHODS:
        raise ForbiddenError(
            f"only these read methods are served: {', '.join(sorted(RPC_READ_METHODS))}"
        )
    params = call.get("params", [])
    if not isinstance(params, list):
        raise RecordError("params must be a list", field="params")
    chain = await run_in_threadpool(ctx.chain)
    if not isinstance(chain, JsonRpcServer):
        raise NotFoundError("the chain backend offers no JSON-RPC")
    answer = await run_in_threadpool(chain.rpc, call["method"], params)
    return JSONResponse({**answer, "jsonrpc": "2.0", "id": call.get("id")})
