"""The generation routes of the HTTP contract (see the API docs at /docs). Each calls one service function."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from app.config import DEFAULT_MODEL
from app.deps import ReadsDep, ServicesDep, SessionDep
from app.errors import (
    UNAUTHORIZED_RESPONSE,
    AppError,
    FileTooLarge,
    InsufficientCredits,
    NotCompleted,
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
    AgainIn,
    AspectRatio,
    GenerationAccepted,
    GenerationFailedBody,
    GenerationOut,
    GenerationPage,
    ModelList,
    ModelOut,
    RefineIn,
    StatusName,
    StyleList,
    StyleOut,
    UserStats,
)
from app.models import GenerationStatus
from app.schemas import DOCUMENTED_AS_REQUIRED, Deleted, Text, json_answer
from app.styles import DEFAULT_STYLE, MAX_WISHES, STYLES
from app.users.auth import CallerRoute, CurrentUser, ReadingUser

router = APIRouter(tags=["generations"], responses=UNAUTHORIZED_RESPONSE)
public_router = APIRouter(tags=["styles"])

# The cursors this API hands out are unpadded URL-safe base64.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
# The headers of every route that starts generations.
PreferHeader = Annotated[str | None, Header(description="`wait=N` (N <= 60): hold the answer until done")]
IdempotencyHeader = Annotated[Text | None, Header(max_length=255,
                                                  description="Repeat-safe key: a repeat charges nothing")]


def _starting_responses(done: str, *errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The answers of a route that starts generations: 202 at once, or with `Prefer: wait=N` 201 once `done` or
    502 once the model failed; and its own errors."""
    return {
        201: {"model": GenerationAccepted, "description": f"With `Prefer: wait=N`: {done}."},
        502: {"model": GenerationFailedBody,
              "description": "AI_GENERATION_FAILED: with `Prefer: wait=N`, the model failed"},
        **error_responses(*errors),
    }


_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})", re.IGNORECASE)


def parse_prefer_wait(prefer: str | None) -> int:
    match = _PREFER_WAIT.search(prefer or "")
    return min(int(match.group(1)), service.MAX_PREFER_WAIT) if match else 0


async def user_stats(user: ReadingUser, reads: ReadsDep) -> Response:
    """Credits, the number of completed generations, and when the newest completed one was made."""
    return json_answer(await service.stats(reads, user))


async def list_generations(
    services: ServicesDep,
    reads: ReadsDep,
    user: ReadingUser,
    status: StatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, pattern=CURSOR_PATTERN,
                                       description="`nextCursor` of the previous page")] = None,
) -> Response:
    """The user's generations, newest first, a page at a time (`nextCursor` fetches the next page)."""
    return json_answer(await service.list_page(reads, services.storage, user.id, status, limit, cursor,
                                               services.settings.public_url.rstrip("/")))


def add_most_asked(app_router: APIRouter) -> None:
    """The reads asked far more often than the rest, on the app's own router (see app.main), with what `router`
    gives its own routes."""
    app_router.add_api_route("/user/stats", user_stats, methods=["GET"], tags=[*router.tags, "users"],
                             responses=router.responses, response_model=UserStats, route_class_override=CallerRoute)
    app_router.add_api_route("/generations", list_generations, methods=["GET"], tags=router.tags,
                             responses={**router.responses, **error_responses(ValidationFailed)},
                             response_model=GenerationPage)


@router.get("/generations/{generation_id}", responses=error_responses(NotFound), response_model=GenerationOut)
async def get_generation(
    generation_id: Text, services: ServicesDep, reads: ReadsDep, user: ReadingUser
) -> Response:
    return json_answer(await service.get(reads, services.storage, user.id, generation_id,
                                         services.settings.public_url.rstrip("/")))


@router.delete("/generations/{generation_id}", responses=error_responses(NotFound))
async def delete_generation(
    generation_id: Text, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> Deleted:
    """Delete the generation and every stored file of it (original, result, thumbnails)."""
    await service.delete(session, services.storage, user.id, generation_id)
    return Deleted()


@router.post(
    "/generations",
    status_code=202,
    response_model=GenerationAccepted,
    responses=_starting_responses("the generation completed", UploadFailed, UnsupportedMediaType, FileTooLarge,
                                  InsufficientCredits, ValidationFailed, RateLimited, ServiceUnavailable),
)
async def create_generation(
    services: ServicesDep,
    user: CurrentUser,
    # Required, but refused here when missing: with the upload's other faults, as 400 UPLOAD_FAILED.
    image: Annotated[UploadFile | None, File(description="JPEG, PNG, WebP or HEIC; at most 10 MB",
                                             json_schema_extra={DOCUMENTED_AS_REQUIRED: True})] = None,
    style: Annotated[Text, Form(description="One of the ids from GET /styles")] = DEFAULT_STYLE,
    prompt: Annotated[Text | None, Form(max_length=MAX_WISHES, description="Your own wishes: costume colours, "
                                        "powers, background (at most 300 characters)")] = None,
    aspect_ratio: Annotated[AspectRatio, Form(alias="aspectRatio", description="The result's shape")] = "1:1",
    model: Annotated[Text, Form(max_length=32, description="One of the ids from GET /models")] = DEFAULT_MODEL,
    variations: Annotated[int, Form(ge=1, le=service.MAX_VARIATIONS,
                                    description="How many to make at once, all charged together")] = 1,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
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

    options = service.Options(style=style, prompt=prompt or None, aspect_ratio=aspect_ratio, model=model,
                              variations=variations)
    submitted = await service.submit(services, user, upload, options, idempotency_key=idempotency_key,
                                     wait_seconds=parse_prefer_wait(prefer))
    return _answer(submitted, parse_prefer_wait(prefer))


def _answer(submitted: service.Submitted, wait: int) -> JSONResponse:
    """The answer to a request that started generations: 202 pending, or with `Prefer: wait`, 201 or 502."""
    out = submitted.generation
    headers = {"Location": f"/generations/{out.id}"}
    if wait:
        headers["Preference-Applied"] = f"wait={wait}"
    if submitted.replayed:
        headers["Idempotent-Replayed"] = "true"

    if out.status == GenerationStatus.FAILED:
        failed = GenerationFailedBody(error=out.error_message or "AI generation failed.", generation=out,
                                      generations=submitted.generations)
        return JSONResponse(failed.model_dump(mode="json", by_alias=True), status_code=502, headers=headers)
    body = GenerationAccepted(generation=out, generations=submitted.generations,
                              remaining_credits=submitted.remaining_credits)
    status = 201 if out.status == GenerationStatus.COMPLETED else 202
    return JSONResponse(body.model_dump(mode="json", by_alias=True), status_code=status, headers=headers)


@router.post(
    "/generations/{generation_id}/refine",
    status_code=202,
    response_model=GenerationAccepted,
    responses=_starting_responses("the refinement completed", NotFound, NotCompleted, InsufficientCredits,
                                  ValidationFailed, RateLimited, ServiceUnavailable),
)
async def refine_generation(
    generation_id: Text,
    body: RefineIn,
    services: ServicesDep,
    user: CurrentUser,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    """Change a completed result as asked ("make the cape red"): a new generation from that result, linked to it
    by `parentId`, charged like any other."""
    submitted = await service.refine(services, user, generation_id, body.instruction,
                                     idempotency_key=idempotency_key, wait_seconds=parse_prefer_wait(prefer))
    return _answer(submitted, parse_prefer_wait(prefer))


@router.post(
    "/generations/{generation_id}/again",
    status_code=202,
    response_model=GenerationAccepted,
    responses=_starting_responses("the generation completed", NotFound, InsufficientCredits, ValidationFailed,
                                  RateLimited, ServiceUnavailable),
)
async def generate_again(
    generation_id: Text,
    body: AgainIn,
    services: ServicesDep,
    user: CurrentUser,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    """Same photo, new portrait: start from the photo of one of your generations (another style, other wishes,
    another shape or model) without uploading it again. Charged like any generation."""
    options = service.Options(style=body.style, prompt=body.prompt or None, aspect_ratio=body.aspect_ratio,
                              model=body.model, variations=body.variations)
    submitted = await service.again(services, user, generation_id, options, idempotency_key=idempotency_key,
                                    wait_seconds=parse_prefer_wait(prefer))
    return _answer(submitted, parse_prefer_wait(prefer))


@public_router.get("/models", tags=["models"])
async def list_models(services: ServicesDep) -> ModelList:
    """The image models to choose from, each at its own price in credits. No login needed."""
    return ModelList(models=[ModelOut(id=m.id, name=m.name, description=m.description, credits=m.credits)
                             for m in services.settings.models])


@public_router.get("/styles")
async def list_styles() -> StyleList:
    """The transformation styles a generation can use. No login needed."""
    return StyleList(styles=[StyleOut(id=s.id, name=s.name, description=s.description) for s in STYLES.values()])
