"""The one storage interface; `local` (files on disk) and `s3` (any S3-compatible service) implement it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

# Keys are made by the service only (never from an uploaded file's name); this guards the rule.
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.[a-z0-9]{2,5}$")

CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class StorageError(Exception):
    """The storage backend failed; the message is safe to log (no credentials)."""


class ObjectNotFound(StorageError):
    pass


_SAFE_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/$")


def check_key(key: str) -> str:
    if not _SAFE_KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    if not _SAFE_PREFIX.fullmatch(prefix):
        raise ValueError(f"unsafe storage prefix: {prefix!r}")
    return prefix


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when there is none."""
        ...

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove every key given; keys that do not exist are not an error."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Remove every object whose key starts with `prefix` (a folder-like `a/b/`)."""
        ...

    async def url(self, key: str) -> str:
        """A URL a client can fetch right away (same-origin signed path, or presigned S3 URL)."""
        ...

    async def urls(self, keys: Sequence[str]) -> list[str]:
        """`url` for many keys at once, in order: a gallery page signs dozens."""
        ...

    async def check(self) -> None:
        """Raise StorageError when the backend cannot be reached (for /health)."""
        ...

    async def aclose(self) -> None: ...
