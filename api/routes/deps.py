"""What the routes depend on: the app context, the caller, and who may read what."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.context import AppContext
from api.http import client_key
from api.service.devices import DEVICE_SCHEME, authenticate_device
from api.service.photos import ShownEvidence, is_site_photo, shown_evidence
from api.storage.entries import StoredEntry
from api.storage.parties import AuthError, ForbiddenError, Principal, RateLimitedError
from api.storage.photos import PhotoIndex
from notary.errors import NotFoundError
from notary.records import (
    Record,
)

# --- dependencies ---------------------------------------------------------------------------------


# Dependencies are coroutines: FastAPI runs a plain function in a worker thread, a hop that costs
# more than these take.


async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def optional_principal(request: Request, ctx: Ctx) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    client = client_key(request.scope)
    if ctx.auth_limiter.blocked(client):  # locked out by earlier bad tokens: don't even look
        raise RateLimitedError("too many invalid tokens from this address; wait a minute")
    token = token.strip()
    if scheme.lower() == DEVICE_SCHEME.lower():
        try:
            return await run_in_threadpool(_device, ctx, request, token)
        except AuthError:
            ctx.auth_limiter.allow(client)
            raise
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        raise AuthError("use 'Authorization: Bearer <token>'")
    who = ctx.parties.recently_checked(token)
    if who is not None:
        return who
    try:
        return await run_in_threadpool(ctx.parties.authenticate, token)
    except AuthError:
        ctx.auth_limiter.allow(client)
        raise


def _device(ctx: AppContext, request: Request, credentials: str) -> Principal:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return authenticate_device(
        ctx,
        credentials,
        method=request.method,
        target=request.url.path + (f"?{query}" if query else ""),
        route=getattr(request.scope.get("route"), "path", ""),
        idempotency_key=request.headers.get("idempotency-key"),
    )


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def principal(who: MaybePrincipal) -> Principal:
    if who is None:
        raise AuthError("this route needs a bearer token")
    return who


CurrentParty = Annotated[Principal, Depends(principal)]


def require_role(who: Principal, *roles: str) -> None:
    if not who.has(*roles):
        raise ForbiddenError(f"party {who.party_id} lacks the role: one of {', '.join(roles)}")


def may_read(who: Principal | None, stored_public: bool, submitter: str) -> bool:
    if stored_public:
        return True
    return who is not None and (who.has("admin", "auditor") or who.party_id == submitter)


def known(value: str, what: str) -> str:
    """A path parameter that names an object: one that cannot exist (too long, or holding a NUL,
    which PostgreSQL refuses in text) is simply not found."""
    if len(value) > 128 or "\x00" in value:
        raise NotFoundError(f"no such {what}")
    return value


def readable(ctx: AppContext, record_id: str, who: Principal | None) -> tuple[StoredEntry, Record]:
    if len(record_id) > 64 or "\x00" in record_id:
        raise NotFoundError("no such record")
    stored = ctx.notary.log.get(record_id)
    record = stored.record
    if not may_read(who, stored.public, record.submitter):
        # Same answer as an unknown id: the existence of a private record is not disclosed here.
        raise NotFoundError(f"no record with id {record_id}")
    return stored, record


def photo_evidence(
    ctx: AppContext, who: Principal | None, entries: list[StoredEntry]
) -> dict[int, ShownEvidence]:
    """The evidence of the site photos among ``entries`` (which ``who`` may read), by leaf."""
    leaves = [s.index for s in entries if is_site_photo(s.record)]
    if not leaves:
        return {}
    photos = PhotoIndex(ctx.notary.log.engine).get_many(leaves)
    return shown_evidence(
        ctx.notary.log, photos.values(), lambda s: may_read(who, s.public, s.record.submitter)
    )
