"""Where images live: `local` (a directory, served by the API itself) or `s3` (any S3-compatible service)."""

from __future__ import annotations

from app.config import Settings
from app.storage.base import ObjectNotFound, Storage, StorageError, check_key, content_type_for
from app.storage.local import LocalStorage

__all__ = [
    "LocalStorage",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "check_key",
    "content_type_for",
    "create_storage",
]


async def create_storage(settings: Settings) -> Storage:
    """The storage the settings ask for, ready to use; the caller must `await storage.aclose()`.

    With S3_ENDPOINT_URL set outside production (MinIO or another local server), the bucket is created
    when missing so a fresh development setup just works. In production a missing bucket is a
    configuration error that `check()` (and /health) reports; it is never created behind anyone's back.
    """
    if settings.storage_backend == "s3":
        # Imported here so a local-storage setup does not pay for loading boto.
        from app.storage.s3 import S3Storage

        s3 = await S3Storage.from_settings(settings)
        if settings.s3_endpoint_url and settings.app_env != "production":
            try:
                await s3.ensure_bucket()
            except BaseException:
                await s3.aclose()
                raise
        return s3
    local = LocalStorage.from_settings(settings)
    await local.ensure_root()
    return local
