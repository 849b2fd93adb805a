from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas import CamelModel

StatusName = Literal["pending", "completed", "failed"]


class GenerationOut(CamelModel):
    id: str
    user_id: str
    style: str
    status: StatusName
    original_image_url: str
    original_thumbnail_url: str | None = Field(
        description="A small WebP of the uploaded photo, for galleries (null for generations made before it existed)"
    )
    generated_image_url: str | None
    thumbnail_url: str | None = Field(description="A small WebP of the result, for galleries")
    credits_used: int
    error_message: str | None
    model: str | None
    created_at: datetime
    updated_at: datetime


class GenerationAccepted(CamelModel):
    success: Literal[True] = True
    generation: GenerationOut
    remaining_credits: int


class GenerationFailedBody(CamelModel):
    """The error shape, with the failed generation (answer to `Prefer: wait` when the model failed)."""

    success: Literal[False] = False
    error: str
    code: Literal["AI_GENERATION_FAILED"] = "AI_GENERATION_FAILED"
    generation: GenerationOut


class GenerationPage(CamelModel):
    generations: list[GenerationOut]
    count: int
    next_cursor: str | None


class UserStats(CamelModel):
    credits: int
    total_generations: int
    last_generation_date: datetime | None


class StyleOut(BaseModel):
    id: str
    name: str
    description: str


class StyleList(BaseModel):
    styles: list[StyleOut]
