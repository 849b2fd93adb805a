from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.schemas import CamelModel, Text


class ApiKeyIn(CamelModel):
    name: Text = Field(min_length=1, max_length=100, description="What the key is for, e.g. 'my script'")


class ApiKeyOut(CamelModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute")


class ApiKeyCreated(CamelModel):
    id: str
    name: str
    key: str = Field(description="The key itself: shown this once, keep it safe (send as `Authorization: Bearer`)")
    prefix: str
    created_at: datetime


class ApiKeysOut(CamelModel):
    api_keys: list[ApiKeyOut]
