"""The bare reference for the read routes: Starlette and asyncpg, nothing else, doing the API's work.

Each route does what the API's does, with no framework, ORM or dependency injection in between:
- auth: the SHA-256 of the bearer token looked up in `access_tokens` (unexpired) joined to the user's row, as the
  API keeps its logins; a missing token or an inactive user is refused with 401;
- GET /generations?limit=N: the user's generations newest first (limit N+1, to know whether a next page exists),
  four signed URLs per generation as the API's local storage signs them (HMAC-SHA256, see
  app/storage/local.py), the same JSON;
- GET /users/me: the user's row as JSON;
- GET /user/stats: count and newest date of completed generations, and the credits (from the row already read).

Run as `uvicorn bench.reference_app:app` with the API's DATABASE_URL, AUTH_SECRET, MEDIA_URL_LIFETIME_SECONDS and
PUBLIC_URL.
It is a yardstick, not a product: no validation beyond what the comparison needs.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import math
import os
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SECRET = os.environ["AUTH_SECRET"]
LIFETIME = int(os.environ.get("MEDIA_URL_LIFETIME_SECONDS", "3600"))
SHARE_BASE = os.environ.get("PUBLIC_URL", "http://localhost:8000").rstrip("/")
# As app/storage/local.py derives its URL key from the auth secret.
URL_KEY = hmac.new(SECRET.encode(), b"aivenger/media-url/v1", hashlib.sha256).digest()
# The API's pool bound (SQLAlchemy's default of 5 + 10 overflow), so neither side gets more connections.
POOL_MAX = 15

USER_SQL = ("SELECT users.* FROM access_tokens JOIN users ON users.id = access_tokens.user_id "
            "WHERE access_tokens.token_hash = $1 AND access_tokens.expires_at > now()")
PAGE_SQL = ("SELECT generations.*, (SELECT slug FROM shares WHERE shares.generation_id = generations.id) AS slug "
            "FROM generations WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
STATS_SQL = ("SELECT count(id), max(created_at) FROM generations "
             "WHERE user_id = $1 AND status = 'completed'")

UNAUTHORIZED = Response(b'{"success":false,"error":"Not signed in.","code":"UNAUTHORIZED"}', status_code=401,
                        media_type="application/json")


class State:
    pool: asyncpg.Pool


state = State()


def _json(body: Any) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _sign(key: str, now: float) -> str:
    expires = (math.ceil(now / LIFETIME) + 1) * LIFETIME
    signature = hmac.new(URL_KEY, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()
    return f"/media/{key}?expires={expires}&signature={signature}"


async def _user(request: Request, connection: asyncpg.Connection) -> asyncpg.Record | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    user = await connection.fetchrow(USER_SQL, hashlib.sha256(token.encode()).hexdigest())
    return user if user is not None and user["is_active"] else None


def _generation(row: asyncpg.Record, now: float) -> dict[str, Any]:
    generated, thumbnail = row["generated_image_key"], row["thumbnail_key"]
    original_thumbnail = row["original_thumbnail_key"]
    return {
        "id": row["id"], "userId": str(row["user_id"]), "style": row["style"], "status": row["status"],
        "originalImageUrl": _sign(row["original_image_key"], now),
        "originalThumbnailUrl": _sign(original_thumbnail, now) if original_thumbnail else None,
        "generatedImageUrl": _sign(generated, now) if generated else None,
        "thumbnailUrl": _sign(thumbnail, now) if thumbnail else None,
        "creditsUsed": row["credits_used"], "errorMessage": row["error_message"], "model": row["model_id"],
        "prompt": row["prompt"], "aspectRatio": row["aspect_ratio"], "batchId": row["batch_id"],
        "parentId": row["parent_id"], "width": row["width"], "height": row["height"],
        "shareUrl": f"{SHARE_BASE}/s/{row['slug']}" if row["slug"] else None,
        "createdAt": _iso(row["created_at"]), "updatedAt": _iso(row["updated_at"]),
    }


def _cursor(row: asyncpg.Record) -> str:
    raw = f"{row['created_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def list_generations(request: Request) -> Response:
    limit = int(request.query_params.get("limit", "50"))
    async with state.pool.acquire() as connection:
        user = await _user(request, connection)
        if user is None:
            return UNAUTHORIZED
        rows = await connection.fetch(PAGE_SQL, user["id"], limit + 1)
    now = time.time()
    page = rows[:limit]
    return _json({
        "generations": [_generation(row, now) for row in page],
        "count": len(page),
        "nextCursor": _cursor(rows[limit - 1]) if len(rows) > limit else None,
    })


async def me(request: Request) -> Response:
    async with state.pool.acquire() as connection:
        user = await _user(request, connection)
    if user is None:
        return UNAUTHORIZED
    return _json({"id": str(user["id"]), "email": user["email"], "is_active": user["is_active"],
                  "is_superuser": user["is_superuser"], "is_verified": user["is_verified"],
                  "credits": user["credits"]})


async def stats(request: Request) -> Response:
    async with state.pool.acquire() as connection:
        user = await _user(request, connection)
        if user is None:
            return UNAUTHORIZED
        count, newest = await connection.fetchrow(STATS_SQL, user["id"])
    return _json({"credits": user["credits"], "totalGenerations": count, "lastGenerationDate": _iso(newest)})


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_MAX)
    try:
        yield
    finally:
        await state.pool.close()


app = Starlette(
    routes=[
        Route("/generations", list_generations),
        Route("/users/me", me),
        Route("/user/stats", stats),
        Route("/health", health),
    ],
    lifespan=lifespan,
)
