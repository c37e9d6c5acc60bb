"""Operations: health and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.routes.deps import (
    Ctx,
)
from api.routes.schemas import (
    Health,
)

router = APIRouter()

# --- operations -----------------------------------------------------------------------------------


@router.get("/healthz", response_model=Health, tags=["operations"])
def healthz(ctx: Ctx) -> Health:
    size, _ = ctx.notary.log.state()
    return Health(status="ok", log_size=size, log_id=ctx.notary.key.log_id)


@router.get("/metrics", tags=["operations"], response_class=Response)
def metrics(ctx: Ctx) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
