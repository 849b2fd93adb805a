from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.config import DEFAULT_MODEL
from app.schemas import CamelModel, Text
from app.styles import DEFAULT_STYLE, MAX_WISHES

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
    model: str = Field(description="The model chosen, an id from GET /models")
    prompt: str | None = Field(None, description="The person's own wishes, or a refinement's instruction")
    aspect_ratio: str = Field("1:1", description="The shape asked for: 1:1, 4:5, 3:4, 9:16 or 16:9")
    batch_id: str | None = Field(None, description="Shared by the variations made by one request")
    parent_id: str | None = Field(None, description="The generation this one refines")
    width: int | None = Field(None, description="The result's width in pixels, once there is one")
    height: int | None = None
    share_url: str | None = Field(None, description="The public link, while the result is shared")
    created_at: datetime
    updated_at: datetime


class GenerationAccepted(CamelModel):
    success: Literal[True] = True
    generation: GenerationOut
    generations: list[GenerationOut] = Field(description="Every generation of the request (variations)")
    remaining_credits: int


class GenerationFailedBody(CamelModel):
    """The error shape, with the failed generation (answer to `Prefer: wait` when the model failed)."""

    success: Literal[False] = False
    error: str
    code: Literal["AI_GENERATION_FAILED"] = "AI_GENERATION_FAILED"
    generation: GenerationOut
    generations: list[GenerationOut] = Field(default_factory=list)


class RefineIn(CamelModel):
    instruction: Text = Field(min_length=1, max_length=MAX_WISHES,
                              description="What to change, e.g. 'make the cape red'")


class AgainIn(CamelModel):
    style: Text = Field(DEFAULT_STYLE, max_length=32, description="One of the ids from GET /styles")
    prompt: Text | None = Field(None, max_length=MAX_WISHES, description="Your own wishes")
    aspect_ratio: Literal["1:1", "4:5", "3:4", "9:16", "16:9"] = "1:1"
    model: Text = Field(DEFAULT_MODEL, max_length=32, description="One of the ids from GET /models")
    variations: int = Field(1, ge=1, le=4)


class ModelOut(CamelModel):
    id: str
    name: str
    description: str
    credits: int = Field(description="What one generation with it costs")


class ModelList(CamelModel):
    models: list[ModelOut]


AspectRatio = Literal["1:1", "4:5", "3:4", "9:16", "16:9"]


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
