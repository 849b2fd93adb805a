"""GET /health: is the database reachable, is the storage reachable, is the model provider usable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import ServicesDep
from app.errors import describe_exception

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "A dependency is down"}})
async def health(services: ServicesDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        async with services.reader() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await services.storage.check()
        checks["storage"] = "ok"
    except Exception as exc:
        checks["storage"] = f"error: {describe_exception(exc).split(' at ')[0]}"
    checks["provider"] = await services.provider.health()
    healthy = checks["database"] == "ok" and checks["storage"] == "ok"
    return JSONResponse({"status": "ok" if healthy else "error", **checks}, status_code=200 if healthy else 503)
