"""Serves files of the local storage under the signed URLs it hands out.

No login here: an `<img>` on another origin cannot send credentials, so the URL's signature is the
permission. The app includes this router only when it runs on local storage.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from app.errors import NotFound
from app.storage.base import content_type_for
from app.storage.local import LocalStorage

router = APIRouter(include_in_schema=False)


@router.get("/media/{key:path}")
async def get_media(
    request: Request, key: str, expires: str | None = None, signature: str | None = None
) -> FileResponse:
    storage = request.app.state.services.storage
    # Every failure is the same 404: a caller learns nothing about which keys exist.
    if not isinstance(storage, LocalStorage) or expires is None or signature is None:
        raise NotFound()
    try:
        expires_at = int(expires)
    except ValueError:
        raise NotFound() from None
    if not storage.verify(key, expires_at, signature):
        raise NotFound()
    try:
        path = await asyncio.to_thread(storage.path_for, key)
    except ValueError:
        raise NotFound() from None
    if not await asyncio.to_thread(path.is_file):
        raise NotFound()
    return FileResponse(
        path,
        media_type=content_type_for(key),
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": f"private, max-age={storage.seconds_left(expires_at)}",
            "Content-Disposition": "inline",
        },
    )
