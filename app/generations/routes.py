"""The generation routes of the HTTP contract (see the API docs at /docs)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from app import credits
from app.deps import ServicesDep, SessionDep
from app.errors import (
    UNAUTHORIZED_RESPONSE,
    FileTooLarge,
    InsufficientCredits,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    UnsupportedMediaType,
    UploadFailed,
    ValidationFailed,
    describe_exception,
    error_responses,
)
from app.generations import service
from app.generations.schemas import (
    Deleted,
    GenerationAccepted,
    GenerationFailedBody,
    GenerationOut,
    GenerationPage,
    StatusName,
    StyleList,
    StyleOut,
)
from app.generations.tasks import process_task
from app.models import Generation, GenerationStatus, User
from app.services import Services
from app.styles import DEFAULT_STYLE, STYLES
from app.users.auth import CurrentUser

logger = logging.getLogger(__name__)
router = APIRouter(tags=["generations"], responses=UNAUTHORIZED_RESPONSE)
public_router = APIRouter(tags=["styles"])

MAX_PREFER_WAIT = 60
POLL_INTERVAL = 0.25
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+)", re.IGNORECASE)


def parse_prefer_wait(prefer: str | None) -> int:
    match = _PREFER_WAIT.search(prefer or "")
    return min(int(match.group(1)), MAX_PREFER_WAIT) if match else 0


@router.post(
    "/generations",
    status_code=202,
    response_model=GenerationAccepted,
    responses={
        201: {"model": GenerationAccepted, "description": "With `Prefer: wait=N`: the generation completed."},
        502: {"model": GenerationFailedBody,
              "description": "AI_GENERATION_FAILED: with `Prefer: wait=N`, the model failed"},
        **error_responses(UploadFailed, UnsupportedMediaType, FileTooLarge, InsufficientCredits, ValidationFailed,
                          RateLimited, ServiceUnavailable),
    },
)
async def create_generation(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    image: Annotated[UploadFile | None, File(description="JPEG, PNG, WebP or HEIC; at most 10 MB")] = None,
    style: Annotated[str, Form(description="One of the ids from GET /styles")] = DEFAULT_STYLE,
    prefer: Annotated[str | None, Header(description="`wait=N` (N <= 60): hold the answer until done")] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255,
                                                  description="Repeat-safe key: a repeat charges nothing")] = None,
) -> JSONResponse:
    """Upload a portrait and start its transformation; 10 credits are taken at once.

    Answers 202 with the pending generation (poll `GET /generations/{id}`), or, with `Prefer: wait=N`,
    201/502 when it finished within N seconds.
    """
    if image is None or not image.filename and not image.size:
        raise UploadFailed("No image provided.")
    limit = services.settings.max_upload_bytes
    if image.size is not None and image.size > limit:
        raise FileTooLarge(f"The file is too large: the limit is {limit // (1024 * 1024)} MB.")
    upload = await image.read()
    if not upload:
        raise UploadFailed("The uploaded file is empty.")

    created = await service.create_generation(services, session, user, upload, style, idempotency_key)
    generation = created.generation
    if not created.replayed:
        try:
            await process_task(request.app.state.broker).kiq(generation.id)
        except Exception as exc:  # the queue is down: the generation is safe, recovery queues it again
            logger.error("generation %s: could not be queued: %s", generation.id, describe_exception(exc))

    wait = parse_prefer_wait(prefer)
    if wait:
        generation = await _wait_until_done(services, generation, wait)
    # After waiting, a refund may have landed: read the balance again.
    remaining = await _balance(services, user) if wait else created.remaining_credits
    out = await service.to_out(generation, services.storage)
    headers = {"Location": f"/generations/{generation.id}"}
    if wait:
        headers["Preference-Applied"] = f"wait={wait}"
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"

    if generation.status == GenerationStatus.FAILED:
        failed = GenerationFailedBody(error=generation.error_message or "AI generation failed.", generation=out)
        return JSONResponse(failed.model_dump(mode="json", by_alias=True), status_code=502, headers=headers)
    body = GenerationAccepted(generation=out, remaining_credits=remaining).model_dump(mode="json", by_alias=True)
    status = 201 if generation.status == GenerationStatus.COMPLETED else 202
    return JSONResponse(body, status_code=status, headers=headers)


async def _wait_until_done(services: Services, generation: Generation, seconds: int) -> Generation:
    # Polls with short fresh transactions: holding one open for a minute would pin locks and snapshots.
    deadline = time.monotonic() + seconds
    while generation.status == GenerationStatus.PENDING and time.monotonic() < deadline:
        await asyncio.sleep(POLL_INTERVAL)
        async with services.sessionmaker() as session:
            generation = await session.get_one(Generation, generation.id)
    return generation


async def _balance(services: Services, user: User) -> int:
    # A fresh read: a refund may have landed while the request waited.
    async with services.sessionmaker() as session:
        return await credits.balance(session, user.id)


@router.get("/generations", responses=error_responses(ValidationFailed))
async def list_generations(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    status: StatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: str | None = None,
) -> GenerationPage:
    """The user's generations, newest first, a page at a time (`nextCursor` fetches the next page)."""
    rows, next_cursor = await service.list_page(session, user.id, status, limit, cursor)
    items = await asyncio.gather(*(service.to_out(g, services.storage) for g in rows))
    return GenerationPage(generations=list(items), count=len(items), next_cursor=next_cursor)


@router.get("/generations/{generation_id}", responses=error_responses(NotFound))
async def get_generation(
    generation_id: str, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> GenerationOut:
    generation = await service.get_owned(session, user.id, generation_id)
    return await service.to_out(generation, services.storage)


@router.delete("/generations/{generation_id}", responses=error_responses(NotFound))
async def delete_generation(
    generation_id: str, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> Deleted:
    """Delete the generation and every stored file of it (original, result, thumbnail)."""
    generation = await service.get_owned(session, user.id, generation_id)
    await service.delete_generation(services, session, generation)
    return Deleted()


@public_router.get("/styles")
async def list_styles() -> StyleList:
    """The transformation styles a generation can use. No login needed."""
    return StyleList(styles=[StyleOut(id=s.id, name=s.name, description=s.description) for s in STYLES.values()])
