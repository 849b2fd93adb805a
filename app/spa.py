"""Serving the built single-page app at /, so one URL gives the whole product.

It answers only requests no API route matched (the router's default handler): files of the build are served as
they are, and any other GET that is not the API's falls back to index.html, where the SPA's router takes over.
A known path with the wrong method still answers 405, and every other miss is the API's JSON 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from starlette.types import Receive, Scope, Send

from app.errors import NotFound

# Paths that belong to the API: an unknown one there is a JSON 404, never the SPA's page.
API_PREFIXES = ("auth", "users", "user", "generations", "styles", "media", "health", "docs", "redoc",
                "openapi.json", "config", "billing", "credits", "webhooks", "admin", "public", "s", "metrics",
                "models")


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
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Hashed assets never change; index.html must be re-read so a new deploy is picked up.
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            response = FileResponse(candidate, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})
        elif "." in path.rsplit("/", 1)[-1]:
            raise NotFound()  # a missing file, not a client route
        else:
            response = FileResponse(index, headers={"Cache-Control": "no-cache"})
        await response(scope, receive, send)

    app.router.default = fallback
