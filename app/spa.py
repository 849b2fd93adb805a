"""Serving the built single-page app at /, so one URL gives the whole product.

It answers only requests no API route matched (the router's default handler): files of the build are served as
they are (index.html with its link previews' URLs made absolute), and any other GET that is not the API's falls
back to index.html, where the SPA's router takes over.
A known path with the wrong method still answers 405, and every other miss is the API's JSON 404.
"""

from __future__ import annotations

import gzip
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
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


# Link previews (Open Graph, Twitter cards) need absolute URLs, and a build does not know where it will be served:
# index.html names its page and preview image by path, and the page is completed here with PUBLIC_URL.
_PREVIEW_PATH = re.compile(
    rb'(<meta\s+(?:property|name)="(?:og:url|og:image|twitter:image)"\s+content=")/(?!/)'
)


@lru_cache(maxsize=4)
def _index_with_previews(index: Path, modified_ns: int, public_url: str) -> tuple[bytes, bytes] | None:
    """index.html with its preview URLs made absolute, plain and gzipped; None when it names none by path.

    Cached per version of the file (`modified_ns`) and address, so each is rewritten and compressed once."""
    page, count = _PREVIEW_PATH.subn(lambda match: match.group(1) + public_url.encode() + b"/", index.read_bytes())
    if not count:
        return None
    return page, gzip.compress(page, compresslevel=9, mtime=0)


def _index(request: Request, index: Path) -> Response:
    settings = getattr(request.app.state, "settings", None)
    public_url = settings.public_url.rstrip("/") if settings is not None else ""
    page = _index_with_previews(index, index.stat().st_mtime_ns, public_url) if public_url else None
    if page is None:
        return _file(request, index, "no-cache")
    plain, zipped = page
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
    accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
    if "gzip" in accepted:
        return Response(zipped, media_type="text/html", headers={**headers, "Content-Encoding": "gzip"})
    return Response(plain, media_type="text/html", headers=headers)


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
            response = _index(request, index) if candidate == index else _file(request, candidate, cache)
        elif "." in path.rsplit("/", 1)[-1]:
            raise NotFound()  # a missing file, not a client route
        else:
            response = _index(request, index)
        await response(scope, receive, send)

    app.router.default = fallback
