from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

StatusName = Literal["pending", "completed", "failed"]


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class GenerationOut(_CamelModel):
    id: str
    user_id: str
    style: str
    status: StatusName
    original_image_url: str
    generated_image_url: str | None
    thumbnail_url: str | None
    credits_used: int
    error_message: str | None
    model: str | None
    created_at: datetime
    updated_at: datetime


class GenerationAccepted(_CamelModel):
    success: Literal[True] = True
    generation: GenerationOut
    remaining_credits: int


class GenerationFailedBody(_CamelModel):
    """The error shape, with the failed generation (answer to `Prefer: wait` when the model failed)."""

    success: Literal[False] = False
    error: str
    code: Literal["AI_GENERATION_FAILED"] = "AI_GENERATION_FAILED"
    generation: GenerationOut


class GenerationPage(_CamelModel):
    generations: list[GenerationOut]
    count: int
    next_cursor: str | None


class Deleted(BaseModel):
    success: Literal[True] = True


class StyleOut(BaseModel):
    id: str
    name: str
    description: str


class StyleList(BaseModel):
    styles: list[StyleOut]
