from __future__ import annotations

import uuid
from typing import Annotated

from fastapi_users import schemas
from pydantic import EmailStr, Field
from pydantic.json_schema import SkipJsonSchema

from app.schemas import Text
from app.users.manager import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

# Documented, not enforced here: the user manager checks the length, with its own message (400), so a password is
# refused the same way at sign-up, on a change and on a reset.
Password = Annotated[Text, Field(json_schema_extra={"minLength": MIN_PASSWORD_LENGTH,
                                                    "maxLength": MAX_PASSWORD_LENGTH})]


class UserRead(schemas.BaseUser[uuid.UUID]):
    # A plain string on the way out: the address was validated when it was given, and validating it again on
    # every answer about an account cost more than reading the account.
    email: str  # type: ignore[assignment]
    credits: int


class UserCreate(schemas.BaseUserCreate):
    password: Password
    # A sign-up sets none of these (the library's safe create ignores them): not part of the published schema.
    is_active: SkipJsonSchema[bool | None] = True
    is_superuser: SkipJsonSchema[bool | None] = False
    is_verified: SkipJsonSchema[bool | None] = False


class UserUpdate(schemas.BaseUserUpdate):
    """Email and password only: credits and the superuser flag are never set by their owner."""

    # Leave a field out to keep it: null is no value for either (an account always has an email and a password).
    email: EmailStr = None  # type: ignore[assignment]
    password: Password = None  # type: ignore[assignment]
    current_password: Text | None = Field(
        default=None,
        description="Your password as it is now: required to change your email or password, so that a stolen "
        "login cannot take the account over.",
    )
    # Ignored on one's own account (the library's safe update drops them): not part of the published schema.
    is_active: SkipJsonSchema[bool | None] = None
    is_superuser: SkipJsonSchema[bool | None] = None
    is_verified: SkipJsonSchema[bool | None] = None
