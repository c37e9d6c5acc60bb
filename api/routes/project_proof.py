"""A project's completeness proof: ``GET /v1/projects/{code}/proof`` (``sunlight-project-proof/1``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.routes.deps import Ctx, MaybePrincipal, may_read
from api.routes.schemas import ERRORS
from api.service.project_proof import latest_project_proof
from api.storage.entries import StoredEntry
from notary.errors import NotFoundError
from notary.records import ProjectCode

router = APIRouter()

_CODE = TypeAdapter(ProjectCode)


class ProofPending(BaseModel):
    status: Literal["pending"]
    detail: str


@router.get(
    "/v1/projects/{code}/proof",
    responses={**ERRORS, 202: {"model": ProofPending}},
    tags=["projects"],
)
def get_project_proof(ctx: Ctx, who: MaybePrincipal, code: str) -> JSONResponse:
    """Every record of the project as of the latest anchored checkpoint, with inclusion proofs,
    and the signed, anchored heads statement that fixes its last record and count. Records the
    caller may not read are given by their leaf hash alone. 202 until a checkpoint is anchored.
    A project with no records gets a proof of its absence from the heads map."""
    try:
        project = _CODE.validate_python(code)
    except ValidationError as e:
        raise NotFoundError(f"no project {code[:64]!r}: not a project code") from e

    def visible(stored: StoredEntry) -> bool:
        return may_read(who, stored.public, stored.record.submitter)

    proof = latest_project_proof(ctx.notary, ctx.anchors, project, visible=visible)
    if proof is None:
        pending = ProofPending(
            status="pending", detail="no checkpoint with a heads statement is anchored yet"
        )
        return JSONResponse(pending.model_dump(), status_code=202)
    return JSONResponse(proof.to_json())
