"""The HTTP routes, one module per resource (schemas and dependencies apart)."""

from fastapi import APIRouter

from api.routes import (
    anchoring,
    capture_page,
    devices,
    docs_page,
    exchange,
    operations,
    oversight,
    pages,
    parties,
    project_proof,
    projects,
    records,
    reminders,
    uploads,
    verification,
)

router = APIRouter()
for module in (
    records,
    uploads,
    anchoring,
    verification,
    parties,
    project_proof,
    projects,
    reminders,
    exchange,
    operations,
    oversight,
    pages,
    capture_page,
    devices,
    docs_page,
):
    router.include_router(module.router)

__all__ = ["router"]
