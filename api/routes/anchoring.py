"""Anchoring, checkpoints, consistency proofs and the embedded chain's read-only JSON-RPC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

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
    call = jsonin.loads(await request.body(), what="request body")
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
