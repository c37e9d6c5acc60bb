"""HTTP plumbing around the routes: request ids, structured logs, size limits, rate limits,
security headers, Prometheus metrics and strictly read JSON bodies. Pure ASGI middleware, so
streaming bodies stay streams."""

from __future__ import annotations

import contextvars
import email.message
import json
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from notary import jsonin
from notary.errors import InvalidJSONError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("sunlight.http")

#: The pages load only their own scripts and styles; nothing may frame them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=31536000"),
]


_OURS = frozenset({name for name, _ in SECURITY_HEADERS} | {b"x-request-id"})
#: The field capture page (and its service worker) may use the camera and the position.
CAPTURE_SECURITY_HEADERS = [
    (k, b"camera=(self), microphone=(), geolocation=(self)" if k == b"permissions-policy" else v)
    for k, v in SECURITY_HEADERS
]


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id; never the Authorization header."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": request_id_var.get(),
            "message": record.getMessage(),
        }
        doc.update(getattr(record, "fields", {}))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("sunlight")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sunlight_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sunlight_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.records = Counter(
            "sunlight_records_total", "Records accepted into the log", registry=self.registry
        )


def _error(
    status: int, code: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": code, "detail": detail}).encode()
    return status, [(b"content-type", b"application/json"), *(headers or [])], body


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets per key (client address): ``rate`` per second, bursts up to ``burst``.
    ``clock``: seconds on a monotonic clock (a test gives, or sets, a fake one it advances instead
    of sleeping)."""

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst = rate, burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may spend a token again (0 when it may now), spending nothing."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def allow(self, key: str, cost: float = 1.0) -> float:
        """0 when allowed, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                if len(self._buckets) > 100_000:  # bounded memory under address churn
                    self._buckets.clear()
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / self.rate


def client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class HttpMiddleware:
    """Request ids, access logs, metrics, security headers, body size limits and public rate
    limits, in one pass over each request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_json_bytes: int,
        max_upload_bytes: int,
        public_limiter: RateLimiter,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.public_limiter = public_limiter

    def _limit_for(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"] in ("/v1/records", "/v1/verify"):
            return self.max_upload_bytes + 1024 * 1024  # the file plus its form fields
        if scope["method"] == "PATCH" and scope["path"].startswith("/v1/uploads/"):
            return self.max_upload_bytes  # a piece of a resumable upload (tus)
        return self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status_holder = {"status": 500, "started": 0}
        ours = CAPTURE_SECURITY_HEADERS if scope["path"] == "/capture" else SECURITY_HEADERS
        send = _decorating(send, rid, status_holder, ours)  # every answer, the middleware's too
        try:
            limit = self._limit_for(scope)
            declared = headers.get(b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await _respond(send, *_error(413, "too_large", f"request body over {limit} bytes"))
                status_holder["status"] = 413
                return
            if b"authorization" not in headers and _is_public(scope):
                wait = self.public_limiter.allow(client_key(scope))
                if wait:
                    retry = str(max(1, int(wait + 0.999))).encode()
                    await _respond(
                        send,
                        *_error(
                            429,
                            "rate_limited",
                            "too many requests; slow down",
                            [(b"retry-after", retry)],
                        ),
                    )
                    status_holder["status"] = 429
                    return
            try:
                await self.app(scope, _counting(receive, limit), send)
            except BodyTooLarge:
                if status_holder["started"]:
                    raise
                status_holder["status"] = 413
                await _respond(send, *_error(413, "too_large", f"request body over {limit} bytes"))
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status_holder["status"])).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status_holder["status"],
                        "ms": round(elapsed * 1000, 2),
                        "client": client_key(scope),
                    }
                },
            )
            request_id_var.reset(token)


class JsonBodyCheck:
    """Reads every body a route would parse as JSON with :func:`notary.jsonin.loads` first, and
    answers 400 ``invalid_json`` when it refuses it: FastAPI parses a pydantic body with plain
    ``json.loads``, which recurses once per nesting level and keeps the last of duplicate keys.

    Only such bodies are buffered (at most ``max_bytes``, else 413); multipart uploads and other
    bodies pass through as streams."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _declares_json(scope):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the route see it
                await self.app(scope, _replaying(message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                detail = f"JSON body over {self.max_bytes} bytes"
                await _respond(send, *_error(413, "too_large", detail))
                return
            if not message.get("more_body", False):
                break
        if body:
            try:
                jsonin.loads(bytes(body), what="request body")
            except InvalidJSONError as e:
                await _respond(send, *_error(400, e.code, str(e)))
                return
        whole = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replaying(whole, receive), send)


def _declares_json(scope: Scope) -> bool:
    """True when FastAPI could parse the body as JSON: no (or an empty) content type, as older
    FastAPI does, or ``application/json`` or ``application/*+json``, read the way FastAPI reads
    it. Any of several Content-Type headers counts: FastAPI reads the first, others the last."""
    values = [v for k, v in scope.get("headers") or [] if k == b"content-type" and v]
    return not values or any(_is_json_type(v.decode("latin-1")) for v in values)


def _is_json_type(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _replaying(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def wrapped() -> Message:
        return pending.pop() if pending else await receive()

    return wrapped


class BodyTooLarge(Exception):
    pass


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped


def _decorating(
    send: Send, rid: str, status_holder: dict[str, int], ours: list[tuple[bytes, bytes]]
) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            status_holder["status"] = message["status"]
            status_holder["started"] = 1
            # These headers are the middleware's to set: replace any a route set itself.
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
            message["headers"] = [*kept, *ours, (b"x-request-id", rid.encode())]
        await send(message)

    return wrapped


_PUBLIC_PREFIXES = ("/verify", "/static", "/v1/verify", "/v1/checkpoints", "/v1/records/")


def _is_public(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith(_PUBLIC_PREFIXES) and not (
        scope["method"] == "POST" and path == "/v1/records"
    )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))
