"""The application: `uvicorn app.main:app` (after `alembic upgrade head`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app import client_config, docs, logs, media, spa
from app.billing import local_pages, webhooks
from app.billing import routes as billing_routes
from app.config import ConfigurationError, Settings, get_settings
from app.errors import ErrorBody, describe_exception, install_error_handlers
from app.generations import routes as generation_routes
from app.generations.recovery import run_periodically
from app.generations.tasks import GenerationQueue, build_broker
from app.health import router as health_router
from app.keys import routes as key_routes
from app.metrics import RequestMetrics
from app.metrics import router as metrics_router
from app.middleware import MULTIPART_OVERHEAD, BodySizeLimit, CatchUnexpected, CookieCsrfGuard
from app.operators import routes as operator_routes
from app.schemas import DOCUMENTED_AS_REQUIRED
from app.security_headers import SecurityHeaders
from app.services import Services
from app.sharing import routes as sharing_routes
from app.users import routes as users_routes
from app.users.auth import AUTH_COOKIE_NAME, check_caller_routes
from app.users.routes import cookie_auth_router
from app.users.routes import router as users_router

logger = logging.getLogger("app")


def _operation_id(route: APIRoute) -> str:
    # Clean method names in the generated TypeScript client.
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    broker = build_broker(settings)
    services = await Services.start(settings, queue=GenerationQueue(broker), listen=True)
    broker.state.services = services  # tasks run in this process with the in-process queue
    try:
        await broker.startup()
    except Exception as exc:  # accepted work waits in the database; recovery queues it once the broker is back
        logger.error("the task queue is unreachable: %s", describe_exception(exc))
    app.state.services = services
    app.state.broker = broker
    stop_recovery = asyncio.Event()
    recovery = asyncio.create_task(run_periodically(services, stop_recovery), name="generation-recovery")
    # What start-up built lives as long as the process: out of the collector's sight, its full passes no longer
    # walk it, and they paused every request under way for ~100 ms.
    gc.freeze()
    logger.info("serving with %s storage, %s provider, %s queue", settings.storage_backend, settings.provider,
                "redis" if settings.task_broker_url else "in-process")
    try:
        yield
    finally:
        stop_recovery.set()
        await recovery
        await broker.shutdown()
        await services.aclose()


def _require_marked_properties(schema: dict[str, Any]) -> None:
    """Properties a route refuses itself when missing (see app.schemas.DOCUMENTED_AS_REQUIRED) are required."""
    for component in schema["components"]["schemas"].values():
        for name, prop in component.get("properties", {}).items():
            if not prop.pop(DOCUMENTED_AS_REQUIRED, False):
                continue
            if name not in component.setdefault("required", []):
                component["required"].append(name)
            # Declared `X | None` so that the route sees its absence; a value sent is never null.
            choices = [choice for choice in prop.get("anyOf", []) if choice != {"type": "null"}]
            if len(choices) == 1:
                del prop["anyOf"]
                prop.update(choices[0])


def _answer_errors_in_json(content: dict[str, Any]) -> None:
    """An error is the one error shape in JSON, also from a route answering HTML (FastAPI documents its errors under
    the route's own media type)."""
    for media_type, body in list(content.items()):
        if body.get("schema", {}).get("$ref", "").endswith(("/ErrorModel", "/ErrorBody")):
            del content[media_type]
            content["application/json"] = {"schema": {"$ref": "#/components/schemas/ErrorBody"}}


_UNREADABLE_BODY = "BAD_REQUEST: the body could not be read (JSON that is not UTF-8, broken form or multipart framing)"


def _document_unreadable_bodies(schema: dict[str, Any]) -> None:
    """FastAPI answers 400 to a body it cannot parse, before any route sees it: every operation taking one can."""
    for path in schema["paths"].values():
        for operation in path.values():
            if "requestBody" not in operation:
                continue
            response = operation.setdefault("responses", {}).setdefault("400", {"description": ""})
            response["description"] = " / ".join(filter(None, [response["description"], _UNREADABLE_BODY]))
            response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _document_one_error_shape(app: FastAPI) -> None:
    """fastapi-users documents its errors as `{"detail": ...}`; the handlers answer in the one error shape, so the
    schema (and the client generated from it) must say so."""
    library_default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = library_default()
            for path in schema["paths"].values():
                for operation in path.values():
                    for response in operation.get("responses", {}).values():
                        _answer_errors_in_json(response.get("content", {}))
            schema["components"]["schemas"].pop("ErrorModel", None)
            _require_marked_properties(schema)
            _document_unreadable_bodies(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_startable()
    app = FastAPI(
        title="AIVenger API",
        # Metrics are Prometheus's (app.metrics); FastAPI's OpenTelemetry hooks would only cost every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        version="1.0.0",
        summary="Turn a portrait into a superhero avatar.",
        lifespan=lifespan,
        docs_url=None,  # served by app.docs, with no CDN
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        responses={422: {"model": ErrorBody, "description": "VALIDATION_ERROR: bad query or form values"}},
    )
    app.state.settings = settings
    install_error_handlers(app)
    _document_one_error_shape(app)

    # FastAPI tries every route in order until one matches: the routers of the most frequent requests come first.
    # Each included router is searched route by route (about 3 us a route, twice for the one that matches), so
    # the media route, asked for every picture of a gallery page, cost 0.35 ms of CPU a request when it came last.
    # The most asked reads sit on the app's own router, ahead of every included one. FastAPI (0.137 and later) keeps
    # an included router as one node whose routes it resolves again on every request (twice in the router that
    # matches): 40 us of CPU per GET /users/me on 2 cores, a tenth of the route's.
    users_routes.add_most_asked(app.router)
    generation_routes.add_most_asked(app.router)
    if settings.storage_backend == "local":
        app.include_router(media.router)
    app.include_router(generation_routes.router)
    app.include_router(users_router)
    app.include_router(cookie_auth_router(settings), prefix="/auth/cookie", tags=["auth"])
    app.include_router(generation_routes.public_router)
    app.include_router(billing_routes.router)
    app.include_router(key_routes.router)
    app.include_router(operator_routes.router)
    app.include_router(sharing_routes.owner)
    app.include_router(sharing_routes.public)
    app.include_router(sharing_routes.admin)
    app.include_router(webhooks.router)
    app.include_router(local_pages.router)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(client_config.router)
    check_caller_routes(app.routes)
    docs.mount(app)
    spa.mount(app, settings.frontend_dist)

    # Added innermost first: a request passes RequestMetrics, SecurityHeaders, CORS, CatchUnexpected, BodySizeLimit,
    # CookieCsrfGuard, then the routes.
    app.add_middleware(CookieCsrfGuard, cookie_name=AUTH_COOKIE_NAME,
                       allowed_origins=[settings.public_url, *settings.cors_origins])
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD,
                       max_file_mb=settings.max_upload_bytes // (1024 * 1024))
    app.add_middleware(CatchUnexpected)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Prefer", "Idempotency-Key"],
            expose_headers=["Location", "Retry-After", "Preference-Applied", "Idempotent-Replayed"],
        )
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(RequestMetrics)
    return app


def _app_or_exit() -> FastAPI:
    logs.configure()
    try:
        return create_app()
    except ConfigurationError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)  # noqa: T201 - the one message the operator needs
        raise SystemExit(1) from None


app = _app_or_exit()
