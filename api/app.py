"""The FastAPI application: ``create_app(settings)`` wires the core to its adapters."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import routes
from api.context import AppContext
from api.http import HttpMiddleware, JsonBodyCheck, Metrics, RateLimiter
from api.recursion import restore_recursion_limit
from api.service.committer import Committer
from api.service.notary import Notary
from api.service.oversight import start_oversight
from api.service.submission import sweep_forever
from api.service.webhooks import (
    WebhookPolicy,
    WebhookSender,
    load_webhook_key,
    reminder_scan,
    run_webhooks,
)
from api.settings import Settings
from api.storage.anchors import AnchorStore
from api.storage.blobs import ReplicatedBlobStore, blob_store_from_settings
from api.storage.errors import database_error
from api.storage.idempotency import IdempotencyStore
from api.storage.parties import (
    AuthError,
    ConflictError,
    ForbiddenError,
    PartyStore,
    RateLimitedError,
)
from api.storage.projects import ProjectStore
from api.storage.uploads import ChecksumMismatchError, UnsupportedContentTypeError, UploadStore
from api.storage.webhooks import WebhookStore
from notary.errors import (
    AnchorError,
    BlobErasedError,
    BlobStoreUnavailable,
    BlobTooLargeError,
    CertificateError,
    ChainUnavailableError,
    InvalidJSONError,
    InvalidRequestError,
    KeyMaterialError,
    LogError,
    NotaryError,
    NotFoundError,
    RecordError,
    StorageFullError,
    VerificationError,
)
from notary.lifecycle import LifecycleRefusal, LifecycleRules

log = logging.getLogger("sunlight.api")

#: Domain errors → HTTP status. The first matching class wins (most specific first).
STATUS: list[tuple[type[NotaryError], int]] = [
    (AuthError, 401),
    (ForbiddenError, 403),
    (BlobErasedError, 410),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RateLimitedError, 429),
    (BlobTooLargeError, 413),
    (UnsupportedContentTypeError, 415),
    (ChecksumMismatchError, 460),  # tus checksum extension
    (StorageFullError, 507),
    (BlobStoreUnavailable, 503),
    (CertificateError, 503),
    (KeyMaterialError, 503),  # the server's own keys (notary key, blob KEK) are misconfigured
    (ChainUnavailableError, 503),
    (AnchorError, 502),
    (LogError, 503),
    (InvalidJSONError, 400),
    (LifecycleRefusal, 422),  # the body says which rule (docs/api.md, "The project lifecycle")
    (RecordError, 422),
    (InvalidRequestError, 422),
    (VerificationError, 422),
]


def status_of(error: NotaryError) -> int:
    return next((s for cls, s in STATUS if isinstance(error, cls)), 400)


def create_app(settings: Settings, *, run_anchorer: bool = True) -> FastAPI:
    """The Sunlight API. ``run_anchorer`` starts the background anchorer with the app."""
    restore_recursion_limit()
    notary = Notary.open(settings)
    blobs = blob_store_from_settings(settings)
    ctx = AppContext(
        settings=settings,
        notary=notary,
        parties=PartyStore(
            notary.log.engine,
            admin_token=settings.admin_token.get_secret_value(),
            cache_s=settings.auth_cache_s,
        ),
        blobs=blobs,
        anchors=AnchorStore(notary.log.engine),
        metrics=Metrics(),
        auth_limiter=RateLimiter(
            rate=settings.auth_failures_per_minute / 60, burst=settings.auth_failures_per_minute
        ),
        committer=Committer(notary, blobs),
        projects=ProjectStore(notary.log.engine),
        idempotency=IdempotencyStore(notary.log.engine),
        uploads=UploadStore(
            settings.data_dir / "uploads", expiry_s=settings.upload_expiry_h * 3600
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        thread = None
        if isinstance(blobs, ReplicatedBlobStore):  # stopped by blobs.close() below
            blobs.start_replicating(settings.replicate_interval_s)
        if run_anchorer:
            thread = threading.Thread(
                target=_anchor_loop, args=(ctx,), name="anchorer", daemon=True
            )
            thread.start()
        sweeper = threading.Thread(target=sweep_forever, args=(ctx, ctx.stop), daemon=True)
        sweeper.start()  # expired idempotency keys and uploads
        hooks = _start_webhooks(ctx) if run_anchorer else None
        overseer = start_oversight(ctx.oversight, settings, ctx.stop) if run_anchorer else None
        try:
            yield
        finally:
            ctx.stop.set()
            if thread is not None:
                thread.join(timeout=30)
            sweeper.join(timeout=30)
            for helper in (hooks, overseer):
                if helper is not None:
                    helper.join(timeout=30)
            if ctx.anchorer is not None:
                ctx.anchorer.close()
            ctx.blobs.close()
            notary.close()

    app = FastAPI(
        title="Sunlight",
        version="1",
        summary="Tamper-evident records for small public works projects",
        lifespan=lifespan,
        docs_url=None,  # served by api.routes.docs_page from local files, under the strict CSP
        redoc_url=None,
    )
    app.state.ctx = ctx

    app.include_router(routes.router)
    _install_error_handlers(app)
    # The last added runs first: HttpMiddleware's limits, logs and headers wrap the JSON check.
    app.add_middleware(JsonBodyCheck, max_bytes=settings.max_json_bytes)
    app.add_middleware(
        HttpMiddleware,
        metrics=ctx.metrics,
        max_json_bytes=settings.max_json_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        public_limiter=RateLimiter(rate=settings.public_rate_per_s, burst=settings.public_burst),
    )
    return app


def app_from_env() -> FastAPI:
    """The app from environment settings: the factory ``sunlight serve --workers N`` runs."""
    from api.http import configure_logging  # noqa: PLC0415

    configure_logging()
    settings = Settings()
    return create_app(settings, run_anchorer=settings.serve_anchorer)


def _anchor_loop(ctx: AppContext) -> None:
    try:
        anchorer = ctx.get_anchorer()
    except NotaryError as e:
        log.error("anchoring is off: %s", e.diagnostics())
        return
    anchorer.run_forever(ctx.stop)


def _start_webhooks(ctx: AppContext) -> threading.Thread | None:
    """The webhook sender (reminders scanned and delivered, docs/data-interface.md), beside the
    anchorer; off, with the reason logged, when the webhook key cannot be loaded."""
    try:
        key = load_webhook_key(ctx.settings)
    except NotaryError as e:
        log.error("webhooks are off: %s", e.diagnostics())
        return None
    store = WebhookStore(ctx.notary.log.engine)
    sender = WebhookSender(store, key, policy=WebhookPolicy.from_settings(ctx.settings))
    rules = ctx.notary.rules or LifecycleRules()
    thread = threading.Thread(
        target=run_webhooks,
        args=(sender, reminder_scan(ctx.projects, ctx.parties, rules), ctx.stop),
        kwargs={
            "interval_s": ctx.settings.webhook_interval_s,
            "scan_interval_s": ctx.settings.reminder_scan_interval_s,
        },
        name="webhooks",
        daemon=True,
    )
    thread.start()
    return thread


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotaryError)
    async def notary_error(_: Request, exc: NotaryError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        body: dict[str, Any] = {"error": exc.code, "detail": str(exc)}
        if isinstance(exc, LifecycleRefusal):
            body |= {
                "rule": exc.rule,
                "message": exc.message,
                "message_zh": exc.message_zh,
                "allowed": list(exc.allowed),
            }
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def database_failed(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # Any store (parties, anchors, the log): the database down or restarting, or its disk
        # full, is a clear 503/507 the client can retry, never a 500.
        error = database_error(exc)
        log.warning("%s", error)
        return await notary_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first: dict[str, Any] = dict(errors[0]) if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return JSONResponse(
            {"error": "invalid_request", "detail": f"{where}: {first.get('msg', 'invalid')}"},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            {"error": "internal", "detail": "an unexpected error; see the server log"},
            status_code=500,
        )
