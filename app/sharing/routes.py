"""Sharing a result: a short unguessable link with link-preview tags, and a public gallery by consent.

What is public is the result only: never the uploaded photo, the owner or their email. The image is served
through this API on every view, so revoking the link (or deleting the generation) ends the image at once too,
which a signed storage URL handed out earlier could not.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app import cursors
from app.deps import ServicesDep, SessionDep
from app.errors import UNAUTHORIZED_RESPONSE, Forbidden, NotCompleted, NotFound, ValidationFailed, error_responses
from app.generations import service as generations
from app.models import Generation, GenerationStatus, Share
from app.operators import repository as audit
from app.operators.routes import Admin
from app.schemas import Text
from app.sharing import repository
from app.sharing.schemas import PublicGallery, PublicResult, ShareIn, ShareOut
from app.storage.base import content_type_for
from app.styles import STYLES
from app.users.auth import CurrentUser

owner = APIRouter(tags=["sharing"], responses=UNAUTHORIZED_RESPONSE)
public = APIRouter(tags=["sharing"])
admin = APIRouter(tags=["admin"], responses={**UNAUTHORIZED_RESPONSE, **error_responses(Forbidden)})


def _base(services: ServicesDep) -> str:
    return services.settings.public_url.rstrip("/")


def _out(services: ServicesDep, share: Share, generation: Generation) -> PublicResult:
    base = _base(services)
    return PublicResult(slug=share.slug, style=generation.style, image_url=f"{base}/public/{share.slug}/image",
                        share_url=f"{base}/s/{share.slug}", width=generation.width, height=generation.height,
                        created_at=share.created_at)


@owner.post("/generations/{generation_id}/share", responses=error_responses(NotFound, NotCompleted))
async def share(generation_id: Text, body: ShareIn, user: CurrentUser, services: ServicesDep,
                session: SessionDep) -> ShareOut:
    """Share a completed result: the same link every time; `gallery` says whether it is in the public gallery."""
    generation = await generations.get_owned(session, user.id, generation_id)
    if generation.status != GenerationStatus.COMPLETED:
        raise NotCompleted()
    found = await repository.of_generation(session, generation.id)
    if found is None:
        found = await repository.create(session, generation.id, body.gallery)
    elif found.gallery != body.gallery:
        await repository.set_gallery(session, found, body.gallery)
    return ShareOut(share_url=f"{_base(services)}/s/{found.slug}", gallery=found.gallery)


@owner.delete("/generations/{generation_id}/share", status_code=204, response_class=Response,
              responses=error_responses(NotFound))
async def unshare(generation_id: Text, user: CurrentUser, session: SessionDep) -> Response:
    """Stop sharing: the link and its image are gone from the public at once."""
    generation = await generations.get_owned(session, user.id, generation_id)
    await repository.remove(session, generation.id)
    return Response(status_code=204)


@public.get("/public/{slug}", responses=error_responses(NotFound))
async def public_result(slug: Text, services: ServicesDep, session: SessionDep) -> PublicResult:
    """A shared result (no login): only the result, never the photo it was made from or who made it."""
    found = await repository.public(session, slug) if len(slug) <= 24 else None
    if found is None:
        raise NotFound("Nothing is shared here.")
    return _out(services, *found)


@public.get("/public/{slug}/image", response_class=Response, responses={
    200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The result"},
    **error_responses(NotFound)})
async def public_image(slug: Text, services: ServicesDep, session: SessionDep) -> Response:
    found = await repository.public(session, slug) if len(slug) <= 24 else None
    if found is None or found[1].generated_image_key is None:
        raise NotFound("Nothing is shared here.")
    key = found[1].generated_image_key
    data = await services.storage.get(key)
    # Checked on every view (no-cache), so a revoked link shows nothing from the next view on.
    return Response(data, media_type=content_type_for(key), headers={"Cache-Control": "public, no-cache"})


@public.get("/public", responses=error_responses(ValidationFailed))
async def gallery(services: ServicesDep, session: SessionDep,
                  cursor: Annotated[Text | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=60)] = 24) -> PublicGallery:
    """The public gallery: results their owners chose to show, newest first (no login)."""
    rows = await repository.gallery_page(session, limit + 1, cursors.decode(cursor) if cursor else None)
    page = rows[:limit]
    last = page[-1][0] if page else None
    next_cursor = cursors.encode(last.created_at, last.slug) if last is not None and len(rows) > limit else None
    return PublicGallery(items=[_out(services, s, g) for s, g in page], next_cursor=next_cursor)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="description" content="{description}">
<meta property="og:type" content="website"><meta property="og:site_name" content="AIVenger">
<meta property="og:title" content="{title}"><meta property="og:description" content="{description}">
<meta property="og:image" content="{image}"><meta property="og:url" content="{url}">
<meta name="twitter:card" content="summary_large_image"><meta name="twitter:image" content="{image}">
<style>
body {{ margin: 0; min-height: 100vh; display: grid; place-items: center; background: #0f172a; color: #f8fafc;
       font-family: system-ui, sans-serif; }}
main {{ max-width: min(92vw, 720px); text-align: center; padding: 1rem; }}
img {{ max-width: 100%; height: auto; border-radius: 16px; }} a {{ color: #facc15; }}
</style></head>
<body><main><img src="{image}" alt="{title}"{size}>
<p>{description} <a href="{home}">Make your own</a></p></main></body></html>
"""


@public.get("/s/{slug}", response_class=HTMLResponse,
            responses={404: {"content": {"text/html": {}}, "description": "Not shared, or no longer"}})
async def share_page(slug: Text, services: ServicesDep, session: SessionDep) -> HTMLResponse:
    """The page a shared link opens, with link-preview tags so a chat shows the portrait."""
    found = await repository.public(session, slug) if len(slug) <= 24 else None
    if found is None:
        return HTMLResponse("<!doctype html><title>Not shared</title><p>This link no longer shows anything.</p>",
                            status_code=404)
    result = _out(services, *found)
    style = STYLES.get(result.style)
    size = f' width="{result.width}" height="{result.height}"' if result.width and result.height else ""
    return HTMLResponse(_PAGE.format(
        title=html.escape(f"A superhero portrait · {style.name if style else 'AIVenger'}"),
        description=html.escape("Made with AIVenger: a portrait turned into a superhero."),
        image=html.escape(result.image_url), url=html.escape(result.share_url), size=size,
        home=html.escape(services.settings.spa_url + "/"),
    ))


@admin.delete("/admin/gallery/{slug}", status_code=204, response_class=Response, responses=error_responses(NotFound))
async def take_down(slug: Text, admin_user: Admin, session: SessionDep) -> Response:
    """Take a result out of the public gallery (its owner's link keeps working)."""
    if len(slug) > 24 or not await repository.take_down(session, slug):
        raise NotFound("Nothing is shared here.")
    audit.record(session, admin_user.id, "gallery-takedown", target=slug)
    return Response(status_code=204)
