"""``/docs``: Swagger UI served from this server (the vendored files of ``swagger-ui-bundle-v2``).

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the strict
Content-Security-Policy (``script-src 'self'``) blocks both, so the page would stay blank.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from notary.errors import NotFoundError

router = APIRouter(include_in_schema=False)

_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
_SERVED = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sunlight API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body></html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE)


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    media_type = _SERVED.get(name)
    if media_type is None:
        raise NotFoundError(f"no documentation asset {name}")
    return FileResponse(
        _ASSETS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
