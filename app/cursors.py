"""Keyset cursors for paged lists: a (time, key) position, opaque to clients, refused in the one error shape when
it is not one this API made."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

from app.errors import ValidationFailed


def encode(at: datetime, key: object) -> str:
    raw = f"{at.isoformat()}|{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, key_is_valid: Callable[[str], bool] = bool) -> tuple[datetime, str]:
    """The (time, key) position of a cursor from `encode`; 422 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, key = raw.split("|", 1)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not key_is_valid(key):
            raise ValueError("not a cursor this API made")
        return moment.astimezone(UTC), key
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise ValidationFailed(
            [{"loc": ["query", "cursor"], "msg": "Invalid cursor.", "type": "value_error"}], message="Invalid cursor.",
        ) from None
