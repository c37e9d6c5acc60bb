"""The HTTP routes, one module per resource (schemas and dependencies apart)."""

from fastapi import APIRouter

from api.routes import (
    anchoring,
    docs_page,
    operations,
    pages,
    parties,
    project_proof,
    projects,
    records,
    verification,
)

router = APIRouter()
for module in (
    records,
    anchoring,
    verification,
    parties,
    project_proof,
    projects,
    operations,
    pages,
    docs_page,
):
    router.include_router(module.router)

__all__ = ["router"]
