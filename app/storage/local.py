"""Storage in a directory on this machine; the API itself serves the files under signed `/media/...` URLs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cachetools import LRUCache
from pydantic import SecretStr

from app.config import Settings
from app.storage.base import ObjectNotFound, StorageError, check_key, check_prefix

# The auth secret also signs session tokens; media URLs get a key of their own derived from it, so a
# signature made for one purpose can never be replayed for the other.
_URL_KEY_LABEL = b"aivenger/media-url/v1"
# Signed URLs remembered per process (about 250 bytes each).
_URL_CACHE_SIZE = 20_000


def derive_url_key(auth_secret: SecretStr | str) -> bytes:
    secret = auth_secret.get_secret_value() if isinstance(auth_secret, SecretStr) else auth_secret
    return hmac.new(secret.encode(), _URL_KEY_LABEL, hashlib.sha256).digest()


class LocalStorage:
    def __init__(
        self,
        root: Path,
        *,
        url_key: bytes,
        url_lifetime_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if url_lifetime_seconds <= 0:
            raise ValueError("url_lifetime_seconds must be positive")
        self.root = Path(root).resolve()
        self._url_key = url_key
        self._urls: LRUCache[str, tuple[int, str]] = LRUCache(maxsize=_URL_CACHE_SIZE)
        self._lifetime = url_lifetime_seconds
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalStorage:
        return cls(
            settings.storage_dir,
            url_key=derive_url_key(settings.auth_secret),
            url_lifetime_seconds=settings.media_url_lifetime_seconds,
        )

    def path_for(self, key: str) -> Path:
        """The file behind `key`; ValueError for a key that is unsafe or would lead outside the root."""
        path = (self.root / check_key(key)).resolve()
        # check_key already rules out `..`; a symlink planted inside the root must not lead out of it either.
        if not path.is_relative_to(self.root):
            raise ValueError(f"unsafe storage key: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = await asyncio.to_thread(self.path_for, key)
        try:
            await asyncio.to_thread(_write_atomically, path, data)
        except OSError as exc:
            raise StorageError(f"could not write {key}: {exc.strerror or type(exc).__name__}") from exc

    async def get(self, key: str) -> bytes:
        path = await asyncio.to_thread(self.path_for, key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"could not read {key}: {exc.strerror or type(exc).__name__}") from exc

    async def delete(self, keys: Iterable[str]) -> None:
        # Every key is checked before anything is removed, so a bad key cannot leave a half-done delete.
        keys = list(keys)
        paths = await asyncio.to_thread(lambda: [self.path_for(key) for key in keys])
        for key in keys:
            self._urls.pop(key, None)
        try:
            await asyncio.to_thread(self._remove, paths)
        except OSError as exc:
            raise StorageError(f"could not delete: {exc.strerror or type(exc).__name__}") from exc

    async def delete_prefix(self, prefix: str) -> None:
        folder = self.root / check_prefix(prefix)
        try:
            await asyncio.to_thread(self._remove_folder, folder)
        except OSError as exc:
            raise StorageError(f"could not delete: {exc.strerror or type(exc).__name__}") from exc

    async def url(self, key: str) -> str:
        return self._url(key)

    async def urls(self, keys: Sequence[str]) -> list[str]:
        return [self._url(key) for key in keys]

    def _url(self, key: str) -> str:
        # Rounded up to a lifetime boundary so polling clients see the same URL (and the browser's cached
        # image) for a while; the extra lifetime keeps every URL valid for at least one lifetime.
        expires = (math.ceil(self._clock() / self._lifetime) + 1) * self._lifetime
        cached = self._urls.get(key)
        if cached is not None and cached[0] == expires:
            return cached[1]
        url = f"/media/{check_key(key)}?expires={expires}&signature={self._sign(key, expires)}"
        # The same URL again and again within a lifetime: a gallery page shown again signs nothing anew.
        self._urls[key] = (expires, url)
        return url

    def verify(self, key: str, expires: int, signature: str) -> bool:
        try:
            check_key(key)
        except ValueError:
            return False
        if expires <= self._clock():
            return False
        return hmac.compare_digest(self._sign(key, expires), signature)

    def seconds_left(self, expires: int) -> int:
        return max(0, int(expires - self._clock()))

    async def check(self) -> None:
        try:
            await asyncio.to_thread(_probe_writable, self.root)
        except OSError as exc:
            raise StorageError(
                f"media directory {self.root} is not writable: {exc.strerror or type(exc).__name__}"
            ) from exc

    async def ensure_root(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def aclose(self) -> None:
        return None

    def _sign(self, key: str, expires: int) -> str:
        # hmac.new, not the one-shot hmac.digest: as fast (about 2 us), but hmac.digest releases the GIL at every
        # call, and on the event loop each release costs up to a switch interval (5 ms) to win it back from an
        # image thread running Python (measured: 3.7 ms a signature with one busy thread, 7 us with hmac.new).
        # A gallery page signs 200 URLs; every media request checks one.
        return hmac.new(self._url_key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def _remove(self, paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
            self._prune_empty_parents(path.parent)

    def _remove_folder(self, folder: Path) -> None:
        # Never follow a link planted inside the root out of it.
        if folder.is_symlink() or not folder.resolve().is_relative_to(self.root):
            raise ValueError(f"unsafe storage folder: {folder}")
        if folder.is_dir():
            shutil.rmtree(folder)
        self._prune_empty_parents(folder.parent)

    def _prune_empty_parents(self, directory: Path) -> None:
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                # Not empty (or already gone, or another writer got there first): nothing more to prune.
                return
            directory = directory.parent


def _write_atomically(path: Path, data: bytes) -> None:
    # A concurrent delete may prune the directory between mkdir and the write, hence the retries.
    for attempt in range(3):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except FileNotFoundError:
            if attempt == 2:
                raise
            continue
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            # Readers see either no file or the whole file, never a half-written one.
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return


def _probe_writable(root: Path) -> None:
    if not root.is_dir():
        raise FileNotFoundError(2, "No such directory")
    with tempfile.TemporaryFile(dir=root, prefix=".check-"):
        pass
