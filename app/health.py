"""GET /health: is the database reachable, is the storage reachable, is the model provider usable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.db import is_unavailable
from app.deps import ServicesDep
from app.errors import DatabaseUnavailable, describe_exception

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "A dependency is down"}})
async def health(services: ServicesDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    headers: dict[str, str] = {}
    try:
        async with services.reader() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        if is_unavailable(exc):  # down or hung: a load balancer may ask again soon
            checks["database"] = "unavailable"
            headers["Retry-After"] = str(DatabaseUnavailable.retry_after_seconds)
        else:
            checks["database"] = f"error: {type(exc).__name__}"
    try:
        await services.storage.check()
        checks["storage"] = "ok"
    except Exception as exc:
        checks["storage"] = f"error: {describe_exception(exc).split(' at ')[0]}"
    checks["provider"] = await services.provider.health()
    healthy = checks["database"] == "ok" and checks["storage"] == "ok"
    return JSONResponse({"status": "ok" if healthy else "error", **checks}, status_code=200 if healthy else 503,
                        headers=headers)
