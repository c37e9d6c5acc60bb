"""The public pages — verification (``GET /verify``) and a project's timeline
(``GET /projects/{code}``) — and their static assets (``GET /static/...``).

The page is plain HTML, CSS and ES modules from ``api/static``: no CDN, no build step, no inline
script or style, so it runs under the app's strict Content-Security-Policy. It hashes a visitor's
file in the browser (the file never leaves the machine), asks ``POST /v1/verify``, and checks the
leaf hash and the inclusion proof again in JavaScript so the verdict does not rest on the server
alone. The app includes it with ``app.include_router(api.routes.pages.router)``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import FileResponse

__all__ = ["STATIC_DIR", "router"]

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
_ASSET_HEADERS: Final = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(tags=["pages"])


@router.get("/verify", include_in_schema=False)
def verify_page() -> Response:
    """The public verification page. ``?id=<record id>`` is read by the page's script."""
    return FileResponse(
        STATIC_DIR / "verify.html",
        media_type="text/html; charset=utf-8",
        headers=_ASSET_HEADERS,
    )


@router.get("/projects/{code}", include_in_schema=False)
def project_page(code: str) -> Response:
    """A project's public timeline: its steps, records and their verification, checked in the
    browser. The page's script reads ``code`` from the path and asks the project routes."""
    return FileResponse(
        STATIC_DIR / "timeline.html",
        media_type="text/html; charset=utf-8",
        headers=_ASSET_HEADERS,
    )


@router.get("/static/{name}", include_in_schema=False)
def static_asset(name: str) -> Response:
    """One of the page's assets from ``api/static``; 404 for any other name."""
    match = _ASSET_NAME.fullmatch(name)
    path = STATIC_DIR / name
    if match is None or not path.is_file():
        raise HTTPException(status_code=404, detail="no such asset")
    return FileResponse(path, media_type=_MEDIA_TYPES[match.group(1)], headers=_ASSET_HEADERS)
