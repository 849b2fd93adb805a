"""GET /config: what the product costs and accepts, so clients show the server's numbers, never copies of them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from app.config import Settings
from app.images import ACCEPTED_CONTENT_TYPES, MIN_UPLOAD_SIDE
from app.schemas import CamelModel

router = APIRouter(tags=["config"])


class ClientConfig(CamelModel):
    generation_cost: int = Field(description="Credits one generation takes")
    signup_credits: int = Field(description="Credits a new account starts with")
    max_upload_bytes: int = Field(description="The largest upload accepted, in bytes")
    accepted_types: list[str] = Field(description="Media types of the photos accepted")
    max_image_side: int = Field(description="Photos are scaled down to this long side for the model, in pixels: "
                                "a client may resize before uploading")
    generations_per_minute: int = Field(description="Generations one account may start in a minute")
    thumbnail_size: int = Field(description="Long side of the thumbnails (thumbnailUrl, originalThumbnailUrl), in "
                                "pixels: the width to give them in a srcset")
    min_image_side: int = Field(description="The shortest side a photo may have, in pixels")
    sends_email: bool = Field(description="Whether this server sends email: without it, password-reset and "
                              "address-confirmation links cannot be asked for")


@router.get("/config")
async def client_config(request: Request) -> ClientConfig:
    """The product's prices and limits, for clients. No login needed."""
    settings: Settings = request.app.state.settings
    return ClientConfig(
        generation_cost=settings.generation_cost, signup_credits=settings.signup_credits,
        max_upload_bytes=settings.max_upload_bytes, accepted_types=list(ACCEPTED_CONTENT_TYPES),
        max_image_side=settings.model_image_max_side, generations_per_minute=settings.rate_limit_per_minute,
        thumbnail_size=settings.thumbnail_size, min_image_side=MIN_UPLOAD_SIDE, sends_email=settings.sends_email,
    )
