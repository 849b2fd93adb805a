"""The generation routes of the HTTP contract (see the API docs at /docs). Each calls one service function."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.responses import JSONResponse

from app.deps import ReadsDep, ServicesDep, SessionDep
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
    error_responses,
)
from app.generations import service
from app.generations.schemas import (
    GenerationAccepted,
    GenerationFailedBody,
    GenerationOut,
    GenerationPage,
    StatusName,
    StyleList,
    StyleOut,
    UserStats,
)
from app.models import GenerationStatus
from app.schemas import DOCUMENTED_AS_REQUIRED, Deleted, Text
from app.styles import DEFAULT_STYLE, STYLES
from app.users.auth import CurrentUser, ReadingUser

router = APIRouter(tags=["generations"], responses=UNAUTHORIZED_RESPONSE)
public_router = APIRouter(tags=["styles"])

# The cursors this API hands out are unpadded URL-safe base64.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})", re.IGNORECASE)


def parse_prefer_wait(prefer: str | None) -> int:
    match = _PREFER_WAIT.search(prefer or "")
    return min(int(match.group(1)), service.MAX_PREFER_WAIT) if match else 0


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
    services: ServicesDep,
    user: CurrentUser,
    # Required, but refused here when missing: with the upload's other faults, as 400 UPLOAD_FAILED.
    image: Annotated[UploadFile | None, File(description="JPEG, PNG, WebP or HEIC; at most 10 MB",
                                             json_schema_extra={DOCUMENTED_AS_REQUIRED: True})] = None,
    style: Annotated[Text, Form(description="One of the ids from GET /styles")] = DEFAULT_STYLE,
    prefer: Annotated[str | None, Header(description="`wait=N` (N <= 60): hold the answer until done")] = None,
    idempotency_key: Annotated[Text | None, Header(max_length=255,
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

    wait = parse_prefer_wait(prefer)
    submitted = await service.submit(services, user, upload, style, idempotency_key=idempotency_key,
                                     wait_seconds=wait)
    out = submitted.generation
    headers = {"Location": f"/generations/{out.id}"}
    if wait:
        headers["Preference-Applied"] = f"wait={wait}"
    if submitted.replayed:
        headers["Idempotent-Replayed"] = "true"

    if out.status == GenerationStatus.FAILED:
        failed = GenerationFailedBody(error=out.error_message or "AI generation failed.", generation=out)
        return JSONResponse(failed.model_dump(mode="json", by_alias=True), status_code=502, headers=headers)
    body = GenerationAccepted(generation=out, remaining_credits=submitted.remaining_credits)
    status = 201 if out.status == GenerationStatus.COMPLETED else 202
    return JSONResponse(body.model_dump(mode="json", by_alias=True), status_code=status, headers=headers)


@router.get("/generations", responses=error_responses(ValidationFailed))
async def list_generations(
    services: ServicesDep,
    reads: ReadsDep,
    user: ReadingUser,
    status: StatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, pattern=CURSOR_PATTERN,
                                       description="`nextCursor` of the previous page")] = None,
) -> GenerationPage:
    """The user's generations, newest first, a page at a time (`nextCursor` fetches the next page)."""
    return await service.list_page(reads, services.storage, user.id, status, limit, cursor)


@router.get("/generations/{generation_id}", responses=error_responses(NotFound))
async def get_generation(
    generation_id: Text, services: ServicesDep, reads: ReadsDep, user: ReadingUser
) -> GenerationOut:
    return await service.get(reads, services.storage, user.id, generation_id)


@router.delete("/generations/{generation_id}", responses=error_responses(NotFound))
async def delete_generation(
    generation_id: Text, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> Deleted:
    """Delete the generation and every stored file of it (original, result, thumbnails)."""
    await service.delete(session, services.storage, user.id, generation_id)
    return Deleted()


@router.get("/user/stats", tags=["users"])
async def user_stats(user: ReadingUser, reads: ReadsDep) -> UserStats:
    """Credits, the number of completed generations, and when the newest completed one was made."""
    return await service.stats(reads, user)


@public_router.get("/styles")
async def list_styles() -> StyleList:
    """The transformation styles a generation can use. No login needed."""
    return StyleList(styles=[StyleOut(id=s.id, name=s.name, description=s.description) for s in STYLES.values()])
