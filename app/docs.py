"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), working with no network.

FastAPI's own pages load their scripts from cdn.jsdelivr.net and their favicon from fastapi.tiangolo.com: they
break offline, and make every reader's browser fetch code from a third party. Here the same pages load the files
that the fastapi-offline package ships (Swagger UI and ReDoc as published, and a favicon) from /docs/assets.
Under /docs, a miss is the API's JSON 404, never the SPA's page (see app/spa.py).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from app.security_headers import policy

ASSETS_PATH = "/docs/assets"
# A <script> element with its code inline (one with a src attribute has an attribute, so it does not match).
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class _Assets(StaticFiles):
    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        # The names carry no version, so a browser asks again each time (a 304 by ETag while they are unchanged).
        response.headers["Cache-Control"] = "no-cache"
        return response


def _script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
        for code in INLINE_SCRIPT.findall(html)
    ]


def _docs_policy(page: HTMLResponse, *, workers: bool = False) -> str:
    """A policy for these pages only, looser than the SPA's where the two viewers need it.

    Scripts stay limited to this origin and, by hash, the one inline script FastAPI writes to start Swagger UI: no
    'unsafe-inline' for scripts here either. Styles are inline (the viewers style elements as they render them),
    images include data: URLs (Swagger UI's icons), and ReDoc runs its search in a worker made from a blob: URL.
    """
    html = bytes(page.body).decode()
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_script_hashes(html)],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if workers:
        directives["worker-src"] = ["'self'", "blob:"]
    return policy(directives)


def mount(app: FastAPI) -> None:
    """Serve /docs, /redoc and their files; the app is created with docs_url=None and redoc_url=None."""
    app.mount(ASSETS_PATH, _Assets(packages=[("fastapi_offline", "static")]), name="docs-assets")

    def openapi_url(request: Request) -> str:
        # Behind a proxy that serves the app under a prefix, the page must fetch the schema under it too.
        assert app.openapi_url is not None
        return request.scope.get("root_path", "").rstrip("/") + app.openapi_url

    def asset(request: Request, name: str) -> str:
        return request.scope.get("root_path", "").rstrip("/") + f"{ASSETS_PATH}/{name}"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url(request), title=f"{app.title} - Swagger UI",
            swagger_js_url=asset(request, "swagger-ui-bundle.js"), swagger_css_url=asset(request, "swagger-ui.css"),
            swagger_favicon_url=asset(request, "favicon.png"),
            # Logging in from the page uses OAuth2's password flow, a plain POST: no redirect page is needed.
            oauth2_redirect_url=None, swagger_ui_parameters=app.swagger_ui_parameters,
        )
        page.headers["Content-Security-Policy"] = _docs_policy(page)
        return page

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url(request), title=f"{app.title} - ReDoc",
            redoc_js_url=asset(request, "redoc.standalone.js"), redoc_favicon_url=asset(request, "favicon.png"),
            with_google_fonts=False,  # the system's fonts; Google's would be one more third party
        )
        page.headers["Content-Security-Policy"] = _docs_policy(page, workers=True)
        return page
