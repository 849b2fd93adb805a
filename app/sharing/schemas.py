from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.schemas import CamelModel


class ShareIn(CamelModel):
    gallery: bool = Field(False, description="Also show it in the public gallery (your consent)")


class ShareOut(CamelModel):
    share_url: str = Field(description="The page to send people: shows the result only")
    gallery: bool


class PublicResult(CamelModel):
    slug: str
    style: str
    image_url: str = Field(description="The result image, as long as it is shared")
    share_url: str
    width: int | None
    height: int | None
    created_at: datetime


class PublicGallery(CamelModel):
    items: list[PublicResult]
    next_cursor: str | None
