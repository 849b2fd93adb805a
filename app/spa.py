"""Serving the built single-page app at /, so one URL gives the whole product.

It answers only requests no API route matched (the router's default handler): files of the build are served as
they are, and any other GET that is not the API's falls back to index.html, where the SPA's router takes over.
A known path with the wrong method still answers 405, and every other miss is the API's JSON 404.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from starlette.types import Receive, Scope, Send

from app.errors import NotFound

# Paths that belong to the API: an unknown one there is a JSON 404, never the SPA's page.
API_PREFIXES = ("auth", "users", "user", "generations", "styles", "media", "health", "docs", "redoc",
                "openapi.json", "config", "billing", "credits", "webhooks", "admin", "public", "s", "metrics",
                "models")


# The build writes a Brotli and a gzip copy beside each text file (frontend/scripts/precompress.mjs), best first.
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_NEVER_SERVED = (".map", ".br", ".gz")


def _file(request: Request, path: Path, cache: str) -> FileResponse:
    """The file, as the compressed copy the client accepts when the build made one."""
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
    accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
    for encoding, suffix in _ENCODINGS:
        compressed = path.with_name(path.name + suffix)
        if encoding in accepted and compressed.is_file():
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return FileResponse(compressed, media_type=media_type, headers={**headers, "Content-Encoding": encoding})
    return FileResponse(path, headers=headers)


def mount(app: FastAPI, dist: Path) -> None:
    root = dist.resolve()
    index = root / "index.html"

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope)
        path = scope["path"].lstrip("/")
        if request.method not in ("GET", "HEAD") or path.split("/", 1)[0] in API_PREFIXES or not index.is_file():
            raise NotFound()
        candidate = (root / path).resolve()
        if path.endswith(_NEVER_SERVED):
            raise NotFound()  # source maps and the compressed copies are not files of the site
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Hashed assets never change; index.html must be re-read so a new deploy is picked up.
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            response = _file(request, candidate, cache)
        elif "." in path.rsplit("/", 1)[-1]:
            raise NotFound()  # a missing file, not a client route
        else:
            response = _file(request, index, "no-cache")
        await response(scope, receive, send)

    app.router.default = fallback
