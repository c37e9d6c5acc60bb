"""The public pages — verification (``GET /verify``) and a project's timeline
(``GET /projects/{code}``) — and their static assets (``GET /static/...``).

The page is plain HTML, CSS and ES modules from ``api/static``: no CDN, no build step, no inline
script or style, so it runs under the app's strict Content-Security-Policy. It hashes a visitor's
file in the browser (the file never leaves the machine), asks ``POST /v1/verify``, and checks the
leaf hash and the inclusion proof again in JavaScript so the verdict does not rest on the server
alone. The app includes it with ``app.include_router(api.routes.pages.router)``.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path
from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse

__all__ = ["HTML", "STATIC_DIR", "asset_response", "router"]

STATIC_DIR: Final = Path(__file__).parent.parent / "static"

#: The only files served: flat names with a known type, so no path can leave STATIC_DIR.
_ASSET_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(js|css|svg|png|ico)$")
_MEDIA_TYPES: Final = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}
#: Assets change with each release and carry no version in their names: revalidate every time
#: (ETag / Last-Modified make that a cheap 304).
_ASSET_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept-Encoding",
}
HTML: Final = "text/html; charset=utf-8"

router = APIRouter(tags=["pages"])


@functools.lru_cache(maxsize=64)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def asset_response(request: Request, path: Path, media_type: str) -> Response:
    """A page or asset file, gzip-compressed for a browser that takes it (text shrinks three to
    four times: what a slow village link needs), revalidated by ETag either way."""
    if "gzip" not in request.headers.get("accept-encoding", "") or media_type == "image/png":
        return FileResponse(path, media_type=media_type, headers=_ASSET_HEADERS)
    stat = path.stat()
    headers = {**_ASSET_HEADERS, "ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}-gz"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    body = _gzipped(path, stat.st_mtime_ns)
    headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media_type, headers=headers)


@router.get("/verify", include_in_schema=False)
def verify_page(request: Request) -> Response:
    """The public verification page. ``?id=<record id>`` is read by the page's script."""
    return asset_response(request, STATIC_DIR / "verify.html", HTML)


@router.get("/projects/{code}", include_in_schema=False)
def project_page(request: Request, code: str) -> Response:
    """A project's public timeline: its steps, records and their verification, checked in the
    browser. The page's script reads ``code`` from the path and asks the project routes."""
    return asset_response(request, STATIC_DIR / "timeline.html", HTML)


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(request: Request) -> Response:
    """The oversight dashboard: a county's indicators, townships, ranking and alerts, each alert
    linked to its notarized record and evidence. The page's script asks the oversight routes."""
    return asset_response(request, STATIC_DIR / "dashboard.html", HTML)


@router.get("/static/{name}", include_in_schema=False)
def static_asset(request: Request, name: str) -> Response:
    """One of the page's assets from ``api/static``; 404 for any other name."""
    match = _ASSET_NAME.fullmatch(name)
    path = STATIC_DIR / name
    if match is None or not path.is_file():
        raise HTTPException(status_code=404, detail="no such asset")
    return asset_response(request, path, _MEDIA_TYPES[match.group(1)])
