"""Where each stored file lives. Keys are made here only, never from an uploaded file's name.

Everything of one person sits under `users/<user id>/`, so deleting an account removes every file of it by prefix,
including any a crashed worker left behind.
"""

from __future__ import annotations

import uuid


def user_prefix(user_id: uuid.UUID) -> str:
    return f"users/{user_id}/"


def generation_file(user_id: uuid.UUID, generation_id: str, name: str) -> str:
    return f"{user_prefix(user_id)}{generation_id}/{name}"
