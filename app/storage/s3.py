"""Storage in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...).

Credentials come from boto's usual chain (AWS_ACCESS_KEY_ID and friends, profiles, instance roles), never
from our settings, so they stay out of config dumps and error messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from cachetools import TTLCache

from app.config import Settings
from app.storage.base import ObjectNotFound, StorageError, check_key, check_prefix

_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_MISSING_BUCKET_CODES = {"NoSuchBucket", "404", "NotFound"}
# The most keys one DeleteObjects request accepts.
_DELETE_BATCH = 1000
# The longest a SigV4 presigned URL may live.
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600
# Presigned URLs kept for reuse; beyond this the least recently used are signed again when asked for.
_URL_CACHE_SIZE = 50_000


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _cause_code(exc: StorageError) -> str | None:
    cause = exc.__cause__
    return _error_code(cause) if isinstance(cause, ClientError) else None


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Outside errors become StorageError here, with a message made only of what is safe to log."""
    try:
        yield
    except ClientError as exc:
        raise StorageError(f"S3 {action} failed: {_error_code(exc)}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"S3 {action} failed: {type(exc).__name__}") from exc


class S3Storage:
    def __init__(
        self, client: Any, bucket: str, url_lifetime_seconds: int, exit_stack: AsyncExitStack,
        *, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use `open()`, which also owns the client's lifetime."""
        self._client = client
        self.bucket = bucket
        self._exit_stack = exit_stack
        # A new signature on every answer would be a new URL for the same picture, so browsers could never use
        # their cached copy while a client polls or pages. A URL is signed for two lifetimes and handed out again
        # for one, so every URL a client gets still works for at least one lifetime, as local-disk URLs do.
        self._signed_for = min(2 * url_lifetime_seconds, _MAX_PRESIGN_SECONDS)
        self._urls: TTLCache[str, str] = TTLCache(
            maxsize=_URL_CACHE_SIZE, ttl=self._signed_for - url_lifetime_seconds, timer=clock
        )

    @classmethod
    async def open(
        cls,
        *,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        url_lifetime_seconds: int = 3600,
        session: aioboto3.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> S3Storage:
        # Self-hosted services (MinIO, a local test server) rarely have per-bucket DNS names.
        addressing = "path" if endpoint_url else "auto"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        )
        session = session or aioboto3.Session()
        stack = AsyncExitStack()
        try:
            with _translated("connect"):
                client = await stack.enter_async_context(
                    session.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)
                )
        except BaseException:
            await stack.aclose()
            raise
        return cls(client, bucket, url_lifetime_seconds, stack, clock=clock)

    @classmethod
    async def from_settings(cls, settings: Settings) -> S3Storage:
        return await cls.open(
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            url_lifetime_seconds=settings.media_url_lifetime_seconds,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        with _translated("put"):
            await self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ContentDisposition="inline"
            )

    async def get(self, key: str) -> bytes:
        check_key(key)
        try:
            with _translated("get"):
                response = await self._client.get_object(Bucket=self.bucket, Key=key)
                async with response["Body"] as body:
                    return await body.read()
        except StorageError as exc:
            if _cause_code(exc) in _MISSING_CODES:
                raise ObjectNotFound(key) from None
            raise

    async def delete(self, keys: Iterable[str]) -> None:
        keys = [check_key(key) for key in keys]
        for key in keys:
            self._urls.pop(key, None)
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
            with _translated("delete"):
                response = await self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            # DeleteObjects answers 200 even when single keys fail; those come back as `Errors`.
            errors = response.get("Errors") or []
            if errors:
                codes = sorted({str(err.get("Code", "Unknown")) for err in errors})
                raise StorageError(f"S3 delete failed for {len(errors)} key(s): {', '.join(codes)}")

    async def delete_prefix(self, prefix: str) -> None:
        check_prefix(prefix)
        keys: list[str] = []
        with _translated("list"):
            async for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        await self.delete(keys)

    async def url(self, key: str) -> str:
        check_key(key)
        cached = self._urls.get(key)
        if cached is not None:
            return cached
        with _translated("presign"):
            url: str = await self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self._signed_for
            )
        self._urls[key] = url
        return url

    async def urls(self, keys: Sequence[str]) -> list[str]:
        return [await self.url(key) for key in keys]

    async def check(self) -> None:
        with _translated(f"check of bucket {self.bucket!r}"):
            await self._client.head_bucket(Bucket=self.bucket)

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet.

        For tests and local development (MinIO) only: in production the bucket, its region and its access
        policy are set up on purpose, and the service's credentials should not even be allowed to create one.
        """
        try:
            await self.check()
            return
        except StorageError as exc:
            if _cause_code(exc) not in _MISSING_BUCKET_CODES:
                raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        region = self._client.meta.region_name
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with _translated(f"create of bucket {self.bucket!r}"):
            try:
                await self._client.create_bucket(**kwargs)
            except ClientError as exc:
                # Another process (a parallel test worker, a second replica) may have just made it.
                if _error_code(exc) != "BucketAlreadyOwnedByYou":
                    raise

    async def aclose(self) -> None:
        await self._exit_stack.aclose()
