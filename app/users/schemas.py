from __future__ import annotations

import uuid

from fastapi_users import schemas
from pydantic import Field


class UserRead(schemas.BaseUser[uuid.UUID]):
    # A plain string on the way out: the address was validated when it was given, and validating it again on
    # every answer about an account cost more than reading the account.
    email: str  # type: ignore[assignment]
    credits: int


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    """Email and password only: credits and the superuser flag are never set by their owner."""

    current_password: str | None = Field(
        default=None,
        description="Your password as it is now: required to change your email or password, so that a stolen "
        "login cannot take the account over.",
    )
