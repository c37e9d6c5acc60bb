"""The field capture page (``GET /capture``), an installable offline-first web app: its manifest and
its service worker, which keeps :data:`CAPTURE_ASSETS` in a cache named after their digest, so a
new release replaces the whole set at once (docs/field-capture.md)."""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Final

from fastapi import APIRouter, Request, Response

from api.routes.pages import HTML, STATIC_DIR, asset_response

__all__ = ["CAPTURE_ASSETS", "router"]

router = APIRouter(tags=["pages"])

#: What the page needs offline: the page, its manifest and every module it loads.
CAPTURE_ASSETS: Final = (
    "/capture",
    "/capture.webmanifest",
    "/static/capture.css",
    "/static/capture.js",
    "/static/capture-queue.js",
    "/static/capture-words.js",
    "/static/capture-store.js",
    "/static/jcs.js",
    "/static/json.js",
    "/static/merkle.js",
    "/static/page.js",
    "/static/record.js",
    "/static/sha256.js",
    "/static/sigalgs.js",
    "/static/verdict.js",
    "/static/sun.svg",
)
_FILES: Final = {"/capture": "capture.html", "/capture.webmanifest": "capture.webmanifest"}


def _file(asset: str) -> str:
    return _FILES.get(asset, asset.removeprefix("/static/"))


@functools.lru_cache(maxsize=4)
def _worker(stamp: tuple[int, ...]) -> bytes:
    """The service worker's script with the asset list and their digest (its cache's version)."""
    digest = hashlib.sha256()
    for asset in CAPTURE_ASSETS:
        digest.update((STATIC_DIR / _file(asset)).read_bytes())
    source = (STATIC_DIR / "capture-sw.js").read_text(encoding="utf-8")
    source = source.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:16]))
    return source.replace('["__ASSETS__"]', json.dumps(list(CAPTURE_ASSETS))).encode()


_NO_STORE: Final = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@router.get("/capture", include_in_schema=False)
def capture_page(request: Request) -> Response:
    """The field capture page: pair this phone, capture photos and notes offline, send them when
    the network returns, and keep their receipts and proofs."""
    return asset_response(request, STATIC_DIR / "capture.html", HTML)


@router.get("/capture.webmanifest", include_in_schema=False)
def capture_manifest(request: Request) -> Response:
    return asset_response(request, STATIC_DIR / "capture.webmanifest", "application/manifest+json")


@router.get("/capture-sw.js", include_in_schema=False)
def capture_worker() -> Response:
    """The capture page's service worker (its scope is ``/capture``)."""
    stamp = tuple((STATIC_DIR / _file(a)).stat().st_mtime_ns for a in CAPTURE_ASSETS)
    return Response(_worker(stamp), media_type="text/javascript; charset=utf-8", headers=_NO_STORE)
