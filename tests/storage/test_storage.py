"""Both storage adapters pass the same behavioural tests: local on a temp dir, S3 on a real moto server."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from app import media
from app.config import Settings
from app.errors import install_error_handlers
from app.storage import LocalStorage, ObjectNotFound, Storage, StorageError, create_storage
from app.storage.local import derive_url_key
from app.storage.s3 import S3Storage
from tests.support import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, ManualClock, free_port

LIFETIME = 3600
PNG = b"\x89PNG\r\n\x1a\n" + b"png-bytes" * 10
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 10

UNSAFE_KEYS = [
    "../etc/passwd",
    "a/../../b.jpg",
    "/etc/passwd.jpg",
    "/abs/photo.jpg",
    "my photo.jpg",
    "users/u1/My Holiday (1).jpg",
    "a//b.jpg",
    "a\\..\\b.jpg",
    "a/./b.jpg",
    "",
]


@dataclass
class Backend:
    storage: Storage
    fetch: Callable[[str], Awaitable[httpx.Response]]


@pytest.fixture
async def s3_storage(moto_endpoint: str, aws_env: None) -> AsyncIterator[S3Storage]:
    storage = await S3Storage.open(
        bucket=f"test-{uuid.uuid4().hex[:12]}",
        region="us-east-1",
        endpoint_url=moto_endpoint,
        url_lifetime_seconds=LIFETIME,
    )
    await storage.ensure_bucket()
    yield storage
    await storage.aclose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_123.0)


@pytest.fixture
def local_storage(tmp_path: Path, clock: ManualClock) -> LocalStorage:
    root = tmp_path / "media"
    root.mkdir()
    key = derive_url_key("test-secret")
    return LocalStorage(root, url_key=key, url_lifetime_seconds=LIFETIME, clock=clock)


def media_app(storage: LocalStorage) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media.router)
    app.state.services = SimpleNamespace(storage=storage)
    return app


@pytest.fixture
async def media_client(local_storage: LocalStorage) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=media_app(local_storage))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "local":
        return Backend(request.getfixturevalue("local_storage"), request.getfixturevalue("media_client").get)
    return Backend(request.getfixturevalue("s3_storage"), request.getfixturevalue("http_client").get)


# --- behaviour shared by both adapters ---


async def test_put_then_get_returns_the_same_bytes(backend: Backend) -> None:
    await backend.storage.put("u1/g1/result.png", PNG, "image/png")

    assert await backend.storage.get("u1/g1/result.png") == PNG


async def test_put_replaces_an_existing_object(backend: Backend) -> None:
    await backend.storage.put("u1/g1/result.png", b"old", "image/png")
    await backend.storage.put("u1/g1/result.png", PNG, "image/png")

    assert await backend.storage.get("u1/g1/result.png") == PNG


async def test_get_of_a_missing_key_raises_object_not_found(backend: Backend) -> None:
    with pytest.raises(ObjectNotFound):
        await backend.storage.get("u1/nothing/here.jpg")


async def test_delete_removes_every_key_given_and_ignores_missing_ones(backend: Backend) -> None:
    for name in ("original.jpg", "result.png", "thumb.webp"):
        await backend.storage.put(f"u1/g1/{name}", JPEG, "image/jpeg")
    await backend.storage.put("u1/g2/original.jpg", JPEG, "image/jpeg")

    await backend.storage.delete(
        ["u1/g1/original.jpg", "u1/g1/result.png", "u1/g1/thumb.webp", "u1/never/stored.jpg"]
    )

    for name in ("original.jpg", "result.png", "thumb.webp"):
        with pytest.raises(ObjectNotFound):
            await backend.storage.get(f"u1/g1/{name}")
    assert await backend.storage.get("u1/g2/original.jpg") == JPEG


async def test_delete_of_nothing_is_a_no_op(backend: Backend) -> None:
    await backend.storage.delete([])


async def test_delete_prefix_removes_everything_under_it_and_nothing_else(backend: Backend) -> None:
    for key in ("users/a/g1/original.jpg", "users/a/g1/result.png", "users/a/g2/original.jpg",
                "users/ab/g3/original.jpg", "users/b/g4/original.jpg"):
        await backend.storage.put(key, JPEG, "image/jpeg")

    await backend.storage.delete_prefix("users/a/")
    await backend.storage.delete_prefix("users/nobody/")  # nothing there: not an error

    for gone in ("users/a/g1/original.jpg", "users/a/g1/result.png", "users/a/g2/original.jpg"):
        with pytest.raises(ObjectNotFound):
            await backend.storage.get(gone)
    # A sibling whose name merely starts the same is another folder.
    assert await backend.storage.get("users/ab/g3/original.jpg") == JPEG
    assert await backend.storage.get("users/b/g4/original.jpg") == JPEG


@pytest.mark.parametrize("prefix", ["users/a", "", "/", "users/../", "../users/", "users//a/", "users/a b/"])
async def test_unsafe_prefixes_are_refused(backend: Backend, prefix: str) -> None:
    await backend.storage.put("users/a/g1/original.jpg", JPEG, "image/jpeg")

    with pytest.raises(ValueError, match="unsafe storage prefix"):
        await backend.storage.delete_prefix(prefix)

    assert await backend.storage.get("users/a/g1/original.jpg") == JPEG


async def test_urls_signs_many_keys_in_their_order(backend: Backend) -> None:
    keys = ["u1/g1/result.png", "u1/g1/original.jpg"]
    await backend.storage.put(keys[0], PNG, "image/png")
    await backend.storage.put(keys[1], JPEG, "image/jpeg")

    urls = await backend.storage.urls(keys)

    assert urls == [await backend.storage.url(key) for key in keys]
    assert [(await backend.fetch(url)).content for url in urls] == [PNG, JPEG]


async def test_url_serves_the_bytes_with_their_content_type(backend: Backend) -> None:
    await backend.storage.put("u1/g1/result.png", PNG, "image/png")
    await backend.storage.put("u1/g1/original.jpg", JPEG, "image/jpeg")

    png = await backend.fetch(await backend.storage.url("u1/g1/result.png"))
    jpeg = await backend.fetch(await backend.storage.url("u1/g1/original.jpg"))

    assert (png.status_code, png.content, png.headers["content-type"]) == (200, PNG, "image/png")
    assert (jpeg.status_code, jpeg.content, jpeg.headers["content-type"]) == (200, JPEG, "image/jpeg")


@pytest.mark.parametrize("key", UNSAFE_KEYS)
async def test_unsafe_keys_are_refused(backend: Backend, key: str) -> None:
    with pytest.raises(ValueError, match="unsafe storage key"):
        await backend.storage.put(key, JPEG, "image/jpeg")
    with pytest.raises(ValueError, match="unsafe storage key"):
        await backend.storage.url(key)
    with pytest.raises(ValueError, match="unsafe storage key"):
        await backend.storage.get(key)
    with pytest.raises(ValueError, match="unsafe storage key"):
        await backend.storage.delete(["u1/g1/fine.jpg", key])


async def test_check_passes_when_the_backend_is_usable(backend: Backend) -> None:
    await backend.storage.check()


# --- local storage ---


async def test_local_unsafe_key_writes_nothing_anywhere(local_storage: LocalStorage, tmp_path: Path) -> None:
    before = sorted(tmp_path.rglob("*"))
    for key in UNSAFE_KEYS:
        with pytest.raises(ValueError, match="unsafe storage key"):
            await local_storage.put(key, JPEG, "image/jpeg")

    assert sorted(tmp_path.rglob("*")) == before


async def test_local_symlink_cannot_lead_outside_the_root(
    local_storage: LocalStorage, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"secret")
    (local_storage.root / "evil").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ValueError, match="unsafe storage key"):
        await local_storage.get("evil/secret.jpg")
    with pytest.raises(ValueError, match="unsafe storage key"):
        await local_storage.put("evil/new.jpg", JPEG, "image/jpeg")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.jpg"]


async def test_local_symlinked_file_is_not_served(
    local_storage: LocalStorage, media_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    (local_storage.root / "u1").mkdir()
    (local_storage.root / "u1" / "leak.jpg").symlink_to(tmp_path / "secret.jpg")

    response = await media_client.get(await local_storage.url("u1/leak.jpg"))

    assert_not_found(response)


async def test_local_put_leaves_no_temporary_files(local_storage: LocalStorage) -> None:
    await local_storage.put("u1/g1/result.png", PNG, "image/png")
    await local_storage.put("u1/g1/result.png", JPEG, "image/png")

    assert [p.name for p in (local_storage.root / "u1" / "g1").iterdir()] == ["result.png"]


async def test_local_delete_removes_the_emptied_generation_directories(local_storage: LocalStorage) -> None:
    await local_storage.put("u1/g1/original.jpg", JPEG, "image/jpeg")
    await local_storage.put("u1/g1/result.png", PNG, "image/png")
    await local_storage.put("u1/g2/original.jpg", JPEG, "image/jpeg")
    await local_storage.put("u2/g3/original.jpg", JPEG, "image/jpeg")

    await local_storage.delete(["u1/g1/original.jpg", "u1/g1/result.png"])
    assert not (local_storage.root / "u1" / "g1").exists()
    assert (local_storage.root / "u1" / "g2" / "original.jpg").is_file()

    await local_storage.delete(["u1/g2/original.jpg", "u2/g3/original.jpg"])
    assert local_storage.root.is_dir()
    assert list(local_storage.root.iterdir()) == []


async def test_local_check_fails_when_the_root_is_missing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "absent", url_key=b"k", url_lifetime_seconds=LIFETIME)

    with pytest.raises(StorageError, match="not writable"):
        await storage.check()


async def test_local_url_stays_the_same_within_a_lifetime_window(
    local_storage: LocalStorage, clock: ManualClock
) -> None:
    first = await local_storage.url("u1/g1/result.png")
    clock.now += 60
    assert await local_storage.url("u1/g1/result.png") == first

    clock.now += LIFETIME
    assert await local_storage.url("u1/g1/result.png") != first


async def test_local_url_is_valid_for_at_least_one_lifetime(
    local_storage: LocalStorage, clock: ManualClock
) -> None:
    for offset in (0, 1, LIFETIME / 2, LIFETIME - 1):
        clock.now = 1_700_000_000.0 + offset
        expires = url_expires(await local_storage.url("u1/g1/result.png"))
        assert clock.now + LIFETIME <= expires <= clock.now + 2 * LIFETIME
        assert expires % LIFETIME == 0


async def test_local_url_is_a_same_origin_media_path(local_storage: LocalStorage) -> None:
    url = await local_storage.url("u1/g1/result.png")

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("", "", "/media/u1/g1/result.png")
    assert set(parse_qs(parts.query)) == {"expires", "signature"}


async def test_local_media_response_headers(
    local_storage: LocalStorage, media_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await local_storage.put("u1/g1/result.png", PNG, "image/png")
    url = await local_storage.url("u1/g1/result.png")

    response = await media_client.get(url)

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == "inline"
    assert response.headers["cache-control"] == f"private, max-age={int(url_expires(url) - clock.now)}"


@pytest.mark.parametrize("size", [media.READ_WHOLE_MAX_BYTES, media.READ_WHOLE_MAX_BYTES + 1, 3 * 1024 * 1024])
async def test_local_media_serves_small_and_large_files_whole(
    local_storage: LocalStorage, media_client: httpx.AsyncClient, size: int
) -> None:
    """Small files are answered from memory, larger ones streamed: either way, every byte and the same headers."""
    data = JPEG + bytes(range(256)) * (size // 256)
    data = data[:size]
    await local_storage.put("u1/g1/original.jpg", data, "image/jpeg")

    response = await media_client.get(await local_storage.url("u1/g1/original.jpg"))

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(size)
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_local_media_directory_is_not_found(
    local_storage: LocalStorage, media_client: httpx.AsyncClient
) -> None:
    (local_storage.root / "u1" / "g1" / "folder.jpg").mkdir(parents=True)

    assert_not_found(await media_client.get(await local_storage.url("u1/g1/folder.jpg")))


async def test_local_media_route_is_not_in_the_api_docs() -> None:
    app = media_app(LocalStorage(Path("."), url_key=b"k", url_lifetime_seconds=LIFETIME))

    assert not any(path.startswith("/media") for path in app.openapi()["paths"])


async def test_local_tampered_signature_is_not_found(
    local_storage: LocalStorage, media_client: httpx.AsyncClient
) -> None:
    await local_storage.put("u1/g1/result.png", PNG, "image/png")
    url = await local_storage.url("u1/g1/result.png")
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    flipped = ("0" if signature[-1] != "0" else "1")

    assert (await media_client.get(url)).status_code == 200
    assert_not_found(await media_client.get(url[:-1] + flipped))
    assert_not_found(await media_client.get(url.replace("result.png", "other.png")))
    expires = url_expires(url)
    extended = url.replace(f"expires={expires}", f"expires={expires + LIFETIME}")
    assert_not_found(await media_client.get(extended))


async def test_local_signing_never_lets_go_of_the_gil(local_storage: LocalStorage) -> None:
    """URLs are signed and checked on the event loop. A call that let go of the GIL would wait up to a switch
    interval to win it back from an image thread running Python (hmac.digest lets go at every call)."""
    steps = 0
    running, stop = threading.Event(), threading.Event()

    def python_work() -> None:  # what an image thread does between libvips calls
        nonlocal steps
        running.set()
        while not stop.is_set():
            steps += 1

    interval = sys.getswitchinterval()
    # Long enough that, once this thread holds the GIL, the other runs only if the GIL is let go.
    sys.setswitchinterval(0.5)
    worker = threading.Thread(target=python_work)
    worker.start()
    try:
        running.wait()  # returns holding the GIL, the worker waiting for it
        before = steps
        url = await local_storage.url("u1/g1/result.png")
        query = parse_qs(urlsplit(url).query)
        valid = local_storage.verify("u1/g1/result.png", int(query["expires"][0]), query["signature"][0])
        after = steps
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        worker.join()

    assert valid
    assert after == before


async def test_local_signature_from_another_secret_is_not_found(
    local_storage: LocalStorage, media_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await local_storage.put("u1/g1/result.png", PNG, "image/png")
    other = LocalStorage(
        local_storage.root, url_key=derive_url_key("other-secret"), url_lifetime_seconds=LIFETIME, clock=clock
    )

    assert_not_found(await media_client.get(await other.url("u1/g1/result.png")))


async def test_local_expired_url_is_not_found(
    local_storage: LocalStorage, media_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await local_storage.put("u1/g1/result.png", PNG, "image/png")
    url = await local_storage.url("u1/g1/result.png")
    assert (await media_client.get(url)).status_code == 200

    clock.now = url_expires(url)

    assert_not_found(await media_client.get(url))


@pytest.mark.parametrize(
    "query", ["", "?expires=9999999999", "?signature=abc", "?expires=soon&signature=abc"]
)
async def test_local_url_without_a_valid_signature_is_not_found(
    local_storage: LocalStorage, media_client: httpx.AsyncClient, query: str
) -> None:
    await local_storage.put("u1/g1/result.png", PNG, "image/png")

    assert_not_found(await media_client.get(f"/media/u1/g1/result.png{query}"))


async def test_local_signed_url_of_a_missing_file_is_not_found(
    local_storage: LocalStorage, media_client: httpx.AsyncClient
) -> None:
    assert_not_found(await media_client.get(await local_storage.url("u1/g1/gone.png")))


@pytest.mark.parametrize(
    "path", ["/media/..%2F..%2Fetc%2Fpasswd", "/media/u1/my%20photo.jpg", "/media/%2Fetc%2Fx.jpg"]
)
async def test_local_unsafe_media_path_is_not_found(media_client: httpx.AsyncClient, path: str) -> None:
    assert_not_found(await media_client.get(f"{path}?expires=9999999999&signature=00"))


async def test_create_storage_builds_a_local_storage(tmp_path: Path) -> None:
    settings = Settings(storage_backend="local", storage_dir=tmp_path / "new" / "media")

    storage = await create_storage(settings)

    assert isinstance(storage, LocalStorage)
    await storage.check()
    await storage.aclose()


# --- S3 storage ---


async def test_s3_check_fails_for_a_missing_bucket_without_leaking_credentials(
    moto_endpoint: str, aws_env: None
) -> None:
    storage = await S3Storage.open(
        bucket=f"missing-{uuid.uuid4().hex[:12]}", region="us-east-1", endpoint_url=moto_endpoint
    )
    try:
        with pytest.raises(StorageError) as caught:
            await storage.check()
    finally:
        await storage.aclose()

    message = str(caught.value)
    assert "missing-" in message
    assert FAKE_ACCESS_KEY not in message
    assert FAKE_SECRET_KEY not in message


async def test_s3_unreachable_endpoint_is_a_storage_error(aws_env: None) -> None:
    closed_port = free_port()
    storage = await S3Storage.open(
        bucket="any", region="us-east-1", endpoint_url=f"http://127.0.0.1:{closed_port}"
    )
    try:
        with pytest.raises(StorageError, match="EndpointConnectionError"):
            await storage.put("u1/g1/a.jpg", JPEG, "image/jpeg")
    finally:
        await storage.aclose()


async def test_s3_put_stores_the_content_type(s3_storage: S3Storage) -> None:
    await s3_storage.put("u1/g1/result.webp", b"RIFF....WEBP", "image/webp")

    async with httpx.AsyncClient() as client:
        response = await client.get(await s3_storage.url("u1/g1/result.webp"))

    assert response.headers["content-type"] == "image/webp"


async def test_s3_delete_sends_batches_s3_accepts(s3_storage: S3Storage) -> None:
    # S3 refuses more than 1000 keys in one DeleteObjects; moto does not, so the requests are watched.
    batch_sizes: list[int] = []

    def record(params: dict, **_: object) -> None:
        batch_sizes.append(len(params["Delete"]["Objects"]))

    s3_storage._client.meta.events.register("provide-client-params.s3.DeleteObjects", record)
    await s3_storage.put("u1/g1/first.jpg", JPEG, "image/jpeg")
    await s3_storage.put("u1/g1/last.jpg", JPEG, "image/jpeg")
    keys = ["u1/g1/first.jpg", *(f"u1/gone/{i}.jpg" for i in range(1500)), "u1/g1/last.jpg"]

    await s3_storage.delete(keys)

    assert batch_sizes == [1000, 502]
    for key in ("u1/g1/first.jpg", "u1/g1/last.jpg"):
        with pytest.raises(ObjectNotFound):
            await s3_storage.get(key)


async def test_create_storage_builds_an_s3_storage_and_its_dev_bucket(
    moto_endpoint: str, aws_env: None
) -> None:
    settings = Settings(
        app_env="development",
        storage_backend="s3",
        s3_bucket=f"dev-{uuid.uuid4().hex[:12]}",
        s3_endpoint_url=moto_endpoint,
    )

    storage = await create_storage(settings)
    try:
        assert isinstance(storage, S3Storage)
        await storage.check()
    finally:
        await storage.aclose()


async def test_create_storage_never_creates_a_production_bucket(moto_endpoint: str, aws_env: None) -> None:
    settings = Settings(
        app_env="production",
        storage_backend="s3",
        s3_bucket=f"prod-{uuid.uuid4().hex[:12]}",
        s3_endpoint_url=moto_endpoint,
    )

    storage = await create_storage(settings)
    try:
        with pytest.raises(StorageError):
            await storage.check()
    finally:
        await storage.aclose()


def url_expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires"][0])


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Not found.", "code": "NOT_FOUND"}



@pytest.fixture
async def s3_with_clock(
    moto_endpoint: str, aws_env: None, clock: ManualClock
) -> AsyncIterator[tuple[S3Storage, list[str]]]:
    """An S3 storage whose URL reuse runs on `clock`, and the keys its boto client was asked to sign."""
    storage = await S3Storage.open(bucket=f"test-{uuid.uuid4().hex[:12]}", region="us-east-1",
                                   endpoint_url=moto_endpoint, url_lifetime_seconds=LIFETIME, clock=clock)
    await storage.ensure_bucket()
    signed: list[str] = []
    presign = storage._client.generate_presigned_url

    async def counting(operation: str, Params: dict, **kwargs: Any) -> str:  # noqa: N803 (boto's name)
        signed.append(Params["Key"])
        return await presign(operation, Params=Params, **kwargs)

    storage._client.generate_presigned_url = counting
    yield storage, signed
    await storage.aclose()


async def test_s3_urls_are_reused_for_one_lifetime_and_work_for_another(
    s3_with_clock: tuple[S3Storage, list[str]], clock: ManualClock
) -> None:
    """Polling and paging get the same URL for the same picture, so the browser's cached copy is used."""
    storage, signed = s3_with_clock
    await storage.put("u1/g1/result.png", PNG, "image/png")

    first = await storage.url("u1/g1/result.png")
    clock.now += LIFETIME - 1
    assert await storage.url("u1/g1/result.png") == first
    assert signed == ["u1/g1/result.png"]
    # Signed for two lifetimes: handed out until one is left, so every URL given works for at least one more.
    assert parse_qs(urlsplit(first).query)["X-Amz-Expires"] == [str(2 * LIFETIME)]

    clock.now += 2
    await storage.url("u1/g1/result.png")
    assert signed == ["u1/g1/result.png"] * 2
    async with httpx.AsyncClient() as client:
        assert (await client.get(first)).content == PNG


async def test_s3_delete_forgets_the_urls_of_what_it_deleted(s3_with_clock: tuple[S3Storage, list[str]]) -> None:
    storage, signed = s3_with_clock
    await storage.put("u1/g1/result.png", PNG, "image/png")
    await storage.url("u1/g1/result.png")

    await storage.delete(["u1/g1/result.png"])
    await storage.put("u1/g1/result.png", PNG, "image/png")
    await storage.url("u1/g1/result.png")

    assert signed == ["u1/g1/result.png"] * 2
