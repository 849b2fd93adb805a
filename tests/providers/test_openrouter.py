import asyncio
import base64
import gc
import io
import json
import logging
import os
import tracemalloc
from decimal import Decimal

import httpx
import pytest
import respx
from PIL import Image

from app.config import Settings
from app.providers.base import USER_MESSAGES, FailureKind, ProviderError, image_of
from app.providers.breaker import CircuitBreaker
from app.providers.openrouter import OpenRouterProvider
from app.providers.openrouter.errors import OUT_OF_CREDIT, OUT_OF_TIME, PHOTO_UNUSABLE, OpenRouterError
from app.providers.openrouter.fetch import decode_data_url, is_public_address
from app.providers.openrouter.request import nearest_aspect_ratio
from app.styles import STYLES

BASE = "https://openrouter.test/api/v1"
COMPLETIONS = f"{BASE}/chat/completions"
KEY = "sk-or-v1-0123456789abcdef-very-secret"
REFERER = "https://aivenger.test"
IMAGE_HOST = "images.example.com"
IMAGE_HOST_IP = "93.184.215.14"
STYLE = STYLES["marvel"]


def picture(size: tuple[int, int], colour: str = "teal", fmt: str = "PNG", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


PHOTO = picture((600, 800), "navy", "JPEG")
RESULT = picture((864, 1184), "crimson")


def data_url(image: bytes = RESULT) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


def completion(url: str | None = None) -> dict:
    message = {
        "role": "assistant",
        "content": "Here you go: ",
        "refusal": None,
        "images": [{"type": "image_url", "index": 0, "image_url": {"url": url or data_url()}}],
    }
    return {
        "id": "gen-1766430357-k5nSYFOODqylNPQfrEu9",
        "provider": "Google",
        "model": "google/gemini-2.5-flash-image",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "finish_reason": "stop", "native_finish_reason": "STOP", "message": message}
        ],
        "usage": {"prompt_tokens": 1290, "completion_tokens": 1291, "total_tokens": 2581, "cost": 0.0387},
    }


def error_body(status: int, message: str = "failed", **metadata: object) -> dict:
    return {"error": {"code": status, "message": message, "metadata": metadata}, "user_id": "user_1"}


class FakeTime:
    """A clock that only moves when the provider sleeps (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeDns:
    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {IMAGE_HOST: [IMAGE_HOST_IP]}
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.records:
            raise OSError("name not known")
        return self.records[host]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns()


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def make_provider(client, fake_time, dns):
    def make(**overrides: object) -> OpenRouterProvider:
        options: dict = {
            "api_key": KEY,
            "base_url": BASE,
            "referer": REFERER,
            "image_hosts": [IMAGE_HOST],
            "client": client,
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "resolve": dns.resolve,
        }
        return OpenRouterProvider(**(options | overrides))

    return make


@pytest.fixture
def provider(make_provider) -> OpenRouterProvider:
    return make_provider()


async def generate(provider: OpenRouterProvider, image: bytes = PHOTO):
    return await provider.generate(image_of(image), "image/jpeg", STYLE, generation_id="gen-local-1")


async def failure(provider: OpenRouterProvider, image: bytes = PHOTO) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await generate(provider, image)
    assert KEY not in str(caught.value)
    return caught.value


# The request


async def test_sends_the_documented_request(router, provider):
    route = router.post(COMPLETIONS).respond(200, json=completion())

    await generate(provider)

    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["HTTP-Referer"] == REFERER
    assert request.headers["X-Title"] == "AIVenger"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body["model"] == "google/gemini-2.5-flash-image"
    assert body["modalities"] == ["image", "text"]
    assert body["max_tokens"] == 4096
    assert body["image_config"] == {"aspect_ratio": "3:4"}
    [message] = body["messages"]
    assert message["role"] == "user"
    text, image = message["content"]
    assert text == {"type": "text", "text": STYLE.prompt}
    assert image["type"] == "image_url"
    prefix = "data:image/jpeg;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix) :], validate=True) == PHOTO
    # Streamed as it is made, yet sent as a plain body of a stated length.
    assert int(request.headers["Content-Length"]) == len(request.content)
    assert "Transfer-Encoding" not in request.headers


@pytest.mark.parametrize("size", [0, 1, 2, 3, 98_303, 98_304, 98_305, 300_001])
async def test_every_image_size_is_encoded_whole_and_at_its_stated_length(router, provider, size):
    # Around the multiples of the pieces the base64 is made in, where a padding error would show.
    route = router.post(COMPLETIONS).respond(200, json=completion())
    picture = bytes(range(256)) * (size // 256) + bytes(size % 256)

    await generate(provider, picture)

    request = route.calls.last.request
    assert int(request.headers["Content-Length"]) == len(request.content)
    url = json.loads(request.content)["messages"][0]["content"][1]["image_url"]["url"]
    assert base64.b64decode(url.split(",", 1)[1], validate=True) == picture


async def test_a_prompt_cannot_break_the_streamed_json(router, provider):
    route = router.post(COMPLETIONS).respond(200, json=completion())
    tricky = 'quotes " and \\ backslashes, "data:image/jpeg;base64," and a \u0000 NUL'

    await provider.generate(image_of(PHOTO), "image/jpeg", STYLE, generation_id="gen-1", instructions=tricky)

    [text, image] = json.loads(route.calls.last.request.content)["messages"][0]["content"]
    assert text["text"] == tricky
    assert base64.b64decode(image["image_url"]["url"].split(",", 1)[1]) == PHOTO


async def test_the_photo_is_read_for_each_attempt_and_not_kept_while_the_model_works(router, provider):
    reads = 0

    async def photo() -> bytes:
        nonlocal reads
        reads += 1
        return PHOTO

    route = router.post(COMPLETIONS).mock(
        side_effect=[httpx.Response(429, json=error_body(429)), httpx.Response(200, json=completion())]
    )

    result = await provider.generate(photo, "image/jpeg", STYLE, generation_id="gen-1")

    assert result.image == RESULT
    assert route.call_count == 2
    assert reads == 2  # once per attempt: nothing of it is held between them


async def test_calls_waiting_on_the_model_hold_no_copy_of_their_photos(router, make_provider):
    """A thousand calls in flight must not mean a thousand photos in memory (the uploads figure of `make bench`)."""
    waiting, release = 0, asyncio.Event()
    all_waiting = asyncio.Event()
    calls = 40
    photo_bytes = 1_000_000

    async def slow_model(request: httpx.Request) -> httpx.Response:
        nonlocal waiting
        waiting += 1
        if waiting == calls:
            all_waiting.set()
        await release.wait()
        return httpx.Response(200, json=completion())

    router.post(COMPLETIONS).mock(side_effect=slow_model)
    provider = make_provider()

    async def photo() -> bytes:
        return os.urandom(photo_bytes)  # a fresh copy per read, as storage gives

    tracemalloc.start()
    try:
        tasks = [asyncio.create_task(provider.generate(photo, "image/jpeg", STYLE, generation_id=f"gen-{n}"))
                 for n in range(calls)]
        await asyncio.wait_for(all_waiting.wait(), 30)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        release.set()
    for task in tasks:
        assert (await task).image == RESULT
    # The request mock keeps each body it saw (4/3 of a photo); the provider must add nothing of its own to that.
    assert held < calls * photo_bytes * 4 / 3 + calls * photo_bytes / 2


async def test_model_and_max_tokens_come_from_the_constructor(router, make_provider):
    route = router.post(COMPLETIONS).respond(200, json=completion())

    await generate(make_provider(model="google/other-image-model", max_tokens=1234))

    body = json.loads(route.calls.last.request.content)
    assert (body["model"], body["max_tokens"]) == ("google/other-image-model", 1234)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1024, 1024), "1:1"),
        ((600, 800), "3:4"),
        ((1000, 1300), "3:4"),
        ((1080, 1920), "9:16"),
        ((1920, 1080), "16:9"),
        ((2520, 1080), "21:9"),
        ((5000, 1000), "21:9"),
        ((1200, 1000), "5:4"),
        ((1000, 1480), "2:3"),
    ],
)
def test_nearest_aspect_ratio(size, expected):
    assert nearest_aspect_ratio(*size) == expected


async def test_aspect_ratio_follows_exif_rotation(router, provider):
    # Stored 800x600 but shown turned a quarter, i.e. 600x800.
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = picture((800, 600), fmt="JPEG", exif=exif.tobytes())
    route = router.post(COMPLETIONS).respond(200, json=completion())

    await generate(provider, rotated)

    assert json.loads(route.calls.last.request.content)["image_config"] == {"aspect_ratio": "3:4"}


async def test_unreadable_image_is_sent_without_an_aspect_ratio(router, provider):
    route = router.post(COMPLETIONS).respond(200, json=completion())

    await generate(provider, b"not an image")

    assert "image_config" not in json.loads(route.calls.last.request.content)


# The answer


async def test_records_image_usage_cost_id_and_model(router, provider):
    answer = completion() | {"model": "google/gemini-2.5-flash-image-preview"}
    router.post(COMPLETIONS).respond(200, json=answer)

    result = await generate(provider)

    assert result.image == RESULT
    assert result.model == "google/gemini-2.5-flash-image-preview"
    assert result.provider_generation_id == "gen-1766430357-k5nSYFOODqylNPQfrEu9"
    assert result.cost_usd == Decimal("0.0387")
    assert (result.prompt_tokens, result.completion_tokens) == (1290, 1291)


async def test_model_falls_back_to_the_requested_one(router, provider):
    answer = completion()
    del answer["model"], answer["usage"]
    router.post(COMPLETIONS).respond(200, json=answer)

    result = await generate(provider)

    assert result.model == "google/gemini-2.5-flash-image"
    assert (result.cost_usd, result.prompt_tokens, result.completion_tokens) == (None, None, None)


async def test_images_without_type_are_read(router, provider):
    answer = completion()
    answer["choices"][0]["message"]["images"] = [{"image_url": {"url": data_url()}}]
    router.post(COMPLETIONS).respond(200, json=answer)

    assert (await generate(provider)).image == RESULT


async def test_accepts_image_parts_in_content(router, provider):
    # The shape the seed document expected: image parts inside message.content.
    message = {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": data_url()}}]}
    answer = completion() | {"choices": [{"index": 0, "finish_reason": "stop", "message": message}]}
    router.post(COMPLETIONS).respond(200, json=answer)

    assert (await generate(provider)).image == RESULT


async def test_data_url_over_the_cap_is_refused(router, make_provider):
    router.post(COMPLETIONS).respond(200, json=completion(data_url(b"x" * 3000)))

    error = await failure(make_provider(max_image_bytes=2000))

    assert error.kind is FailureKind.BAD_OUTPUT
    assert error.model_called is True


def test_data_url_cap_is_checked_before_decoding():
    # Not base64 at all: if it were decoded first, the error would be about the encoding.
    with pytest.raises(OpenRouterError) as caught:
        decode_data_url("data:image/png;base64," + "!" * 4000, max_bytes=2000)
    assert "over 2000 bytes" in caught.value.detail


def test_data_url_exactly_at_the_cap_is_accepted():
    for size in (2000, 1999, 1998):
        assert decode_data_url(data_url(b"y" * size), max_bytes=2000) == b"y" * size


def test_data_url_broken_into_lines_is_decoded():
    encoded = base64.encodebytes(RESULT).decode()  # MIME style: a line break every 76 characters
    assert "\n" in encoded

    assert decode_data_url("data:image/png;base64," + encoded.replace("\n", "\r\n"), max_bytes=10**7) == RESULT


def test_data_url_with_characters_outside_base64_is_refused():
    encoded = base64.b64encode(RESULT).decode()

    for bad in ("*", "\u00a0", "é", "\r\n\u00a0"):  # a no-break space is refused beside line breaks too
        with pytest.raises(OpenRouterError) as caught:
            decode_data_url("data:image/png;base64," + encoded[:40] + bad + encoded[40:], max_bytes=10**7)
        assert caught.value.detail == "data URL is not valid base64"


def test_data_url_must_be_base64():
    with pytest.raises(OpenRouterError):
        decode_data_url("data:image/png,rawbytes", max_bytes=2000)


async def test_https_answer_from_an_allowed_host_is_downloaded(router, provider, dns):
    router.post(COMPLETIONS).respond(200, json=completion(f"https://{IMAGE_HOST}/out/1.png?sig=abc"))
    download = router.get(f"https://{IMAGE_HOST_IP}/out/1.png?sig=abc").respond(200, content=RESULT)

    result = await generate(provider)

    assert result.image == RESULT
    assert dns.lookups == [IMAGE_HOST]
    request = download.calls.last.request
    # Connected to the address that was checked, while TLS and HTTP still name the host.
    assert request.headers["Host"] == IMAGE_HOST
    assert request.extensions["sni_hostname"] == IMAGE_HOST
    assert "Authorization" not in request.headers


async def test_https_answer_from_another_host_is_refused(router, provider, dns):
    router.post(COMPLETIONS).respond(200, json=completion("https://evil.example.net/out.png"))
    elsewhere = router.get(url__regex=r".*")

    error = await failure(provider)

    assert error.kind is FailureKind.BAD_OUTPUT
    assert not elsewhere.called
    assert dns.lookups == []


async def test_redirect_to_another_host_is_refused(router, provider):
    router.post(COMPLETIONS).respond(200, json=completion(f"https://{IMAGE_HOST}/out.png"))
    router.get(f"https://{IMAGE_HOST_IP}/out.png").respond(
        302, headers={"Location": "https://evil.example.net/x"}
    )
    elsewhere = router.get("https://evil.example.net/x").respond(200, content=RESULT)

    error = await failure(provider)

    assert error.kind is FailureKind.BAD_OUTPUT
    assert not elsewhere.called


async def test_plain_http_answer_is_refused(router, provider):
    router.post(COMPLETIONS).respond(200, json=completion(f"http://{IMAGE_HOST}/out.png"))
    download = router.get(url__regex=r".*")

    assert (await failure(provider)).kind is FailureKind.BAD_OUTPUT
    assert not download.called


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "169.254.169.254", "10.1.2.3", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]"]
)
async def test_non_public_ip_literal_is_refused_even_when_allowed(router, make_provider, host):
    provider = make_provider(image_hosts=[host, IMAGE_HOST])
    router.post(COMPLETIONS).respond(200, json=completion(f"https://{host}/latest/meta-data"))
    download = router.get(url__regex=r".*").respond(200, content=RESULT)

    assert (await failure(provider)).kind is FailureKind.BAD_OUTPUT
    assert not download.called


@pytest.mark.parametrize("addresses", [["127.0.0.1"], ["169.254.169.254"], [IMAGE_HOST_IP, "10.0.0.7"], []])
async def test_allowed_host_resolving_to_a_non_public_address_is_refused(router, provider, dns, addresses):
    dns.records[IMAGE_HOST] = addresses
    router.post(COMPLETIONS).respond(200, json=completion(f"https://{IMAGE_HOST}/out.png"))
    download = router.get(url__regex=r".*").respond(200, content=RESULT)

    assert (await failure(provider)).kind is FailureKind.BAD_OUTPUT
    assert not download.called


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("::", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:169.254.169.254", False),
    ],
)
def test_public_address_check(address, public):
    assert is_public_address(address) is public


async def test_https_body_declared_over_the_cap_is_refused(router, make_provider):
    router.post(COMPLETIONS).respond(200, json=completion(f"https://{IMAGE_HOST}/out.png"))
    router.get(f"https://{IMAGE_HOST_IP}/out.png").respond(200, content=b"z" * 5000)

    assert (await failure(make_provider(max_image_bytes=4000))).kind is FailureKind.BAD_OUTPUT


async def test_https_body_streamed_over_the_cap_is_refused(router, make_provider):
    served: list[int] = []

    async def chunks():
        for _ in range(100):
            served.append(1000)
            yield b"z" * 1000

    router.post(COMPLETIONS).respond(200, json=completion(f"https://{IMAGE_HOST}/out.png"))
    router.get(f"https://{IMAGE_HOST_IP}/out.png").mock(
        side_effect=lambda request: httpx.Response(200, content=chunks())
    )

    assert (await failure(make_provider(max_image_bytes=4000))).kind is FailureKind.BAD_OUTPUT
    # Reading stopped at the cap instead of taking the whole body.
    assert sum(served) <= 5000


# Failures: the table of the doc


@pytest.mark.parametrize(
    ("status", "body", "kind", "message", "calls"),
    [
        (400, error_body(400, "Invalid parameters"), FailureKind.MISCONFIGURED, None, 1),
        (
            400,
            error_body(400, "bad image", error_type="invalid_image"),
            FailureKind.REFUSED,
            PHOTO_UNUSABLE,
            1,
        ),
        (
            400,
            error_body(400, "too big", error_type="image_too_large"),
            FailureKind.REFUSED,
            PHOTO_UNUSABLE,
            1,
        ),
        (401, error_body(401, "User not found."), FailureKind.MISCONFIGURED, None, 1),
        (
            402,
            error_body(402, "Insufficient credits", limit_source="key"),
            FailureKind.MISCONFIGURED,
            OUT_OF_CREDIT,
            1,
        ),
        (
            403,
            error_body(403, "flagged", reasons=["violence"], flagged_input="..."),
            FailureKind.REFUSED,
            None,
            1,
        ),
        (404, error_body(404, "No endpoints found for x"), FailureKind.MISCONFIGURED, None, 1),
        (408, error_body(408, "Timed out"), FailureKind.UNAVAILABLE, None, 2),
        (413, error_body(413, "Payload too large"), FailureKind.MISCONFIGURED, None, 1),
        (429, error_body(429, "Rate limited"), FailureKind.RATE_LIMITED, None, 3),
        (
            500,
            error_body(500, "Internal", provider_name="Google", raw="..."),
            FailureKind.UNAVAILABLE,
            None,
            2,
        ),
        (502, error_body(502, "Bad gateway", provider_name="Google"), FailureKind.UNAVAILABLE, None, 2),
        (503, error_body(503, "No provider available"), FailureKind.UNAVAILABLE, None, 3),
        (524, error_body(524, "Timed out"), FailureKind.UNAVAILABLE, None, 2),
        (529, error_body(529, "Overloaded"), FailureKind.UNAVAILABLE, None, 3),
    ],
)
async def test_failure_table(router, provider, fake_time, status, body, kind, message, calls):
    route = router.post(COMPLETIONS).respond(status, json=body)

    error = await failure(provider)

    assert error.kind is kind
    assert str(error) == (message or USER_MESSAGES[kind])
    assert error.model_called is True
    assert route.call_count == calls
    assert len(fake_time.sleeps) == calls - 1


async def test_html_error_page_is_mapped_by_its_status(router, provider):
    route = router.post(COMPLETIONS).respond(502, text="<html><body>Bad gateway</body></html>")

    error = await failure(provider)

    assert error.kind is FailureKind.UNAVAILABLE
    assert "html" not in str(error)
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("choice", "kind"),
    [
        (
            {
                "finish_reason": "error",
                "error": {"code": 502, "metadata": {"error_type": "provider_overloaded"}},
            },
            FailureKind.UNAVAILABLE,
        ),
        (
            {
                "finish_reason": "error",
                "error": {"code": 400, "metadata": {"error_type": "content_policy_violation"}},
            },
            FailureKind.REFUSED,
        ),
        (
            {"finish_reason": "error", "error": {"code": 400, "metadata": {"error_type": "invalid_image"}}},
            FailureKind.REFUSED,
        ),
        ({"finish_reason": "error", "error": {"code": 401, "message": "?"}}, FailureKind.MISCONFIGURED),
        ({"finish_reason": "error"}, FailureKind.UNAVAILABLE),
        (
            {
                "finish_reason": "content_filter",
                "native_finish_reason": "IMAGE_SAFETY",
                "message": {"role": "assistant", "content": ""},
            },
            FailureKind.REFUSED,
        ),
        (
            {
                "finish_reason": "stop",
                "native_finish_reason": "IMAGE_PROHIBITED_CONTENT",
                "message": {"content": ""},
            },
            FailureKind.REFUSED,
        ),
        (
            {
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "I can't edit this photo."},
            },
            FailureKind.BAD_OUTPUT,
        ),
        ({"finish_reason": "stop", "message": {"content": "x", "images": []}}, FailureKind.BAD_OUTPUT),
    ],
)
async def test_http_200_failures(router, provider, choice, kind):
    answer = completion() | {"choices": [{"index": 0} | choice]}
    route = router.post(COMPLETIONS).respond(200, json=answer)

    error = await failure(provider)

    assert error.kind is kind
    assert error.model_called is True
    # The model ran: an answer without an image is never retried.
    assert route.call_count == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html><body>Upstream error</body></html>"),
        httpx.Response(200, json={"id": "gen-1", "object": "chat.completion"}),
        httpx.Response(200, json={"id": "gen-1", "choices": []}),
        httpx.Response(200, json=["not", "an", "object"]),
    ],
)
async def test_unusable_http_200_bodies(router, provider, response):
    route = router.post(COMPLETIONS).mock(return_value=response)

    error = await failure(provider)

    assert error.kind is FailureKind.BAD_OUTPUT
    assert str(error) == USER_MESSAGES[FailureKind.BAD_OUTPUT]
    assert route.call_count == 1


async def test_error_object_inside_http_200_is_mapped_by_its_code(router, provider):
    route = router.post(COMPLETIONS).respond(200, json=error_body(503, "No provider available"))

    assert (await failure(provider)).kind is FailureKind.UNAVAILABLE
    assert route.call_count == 3


# Retries and the deadline


async def test_429_twice_then_success(router, provider, fake_time):
    route = router.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(429, json=error_body(429)),
            httpx.Response(429, json=error_body(429)),
            httpx.Response(200, json=completion()),
        ]
    )

    result = await generate(provider)

    assert result.image == RESULT
    assert route.call_count == 3
    # Backoff with jitter: growing, never zero, bounded.
    assert len(fake_time.sleeps) == 2
    assert 1 <= fake_time.sleeps[0] <= 2 <= fake_time.sleeps[1] <= 3


async def test_retry_after_is_honoured(router, provider, fake_time):
    router.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json=error_body(429)),
            httpx.Response(200, json=completion()),
        ]
    )

    await generate(provider)

    assert fake_time.sleeps == [7]


async def test_retry_after_on_503(router, provider, fake_time):
    router.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "2.5"}, json=error_body(503)),
            httpx.Response(200, json=completion()),
        ]
    )

    await generate(provider)

    assert fake_time.sleeps == [2.5]


async def test_retry_after_beyond_the_deadline_gives_up_at_once(router, provider, fake_time):
    route = router.post(COMPLETIONS).respond(429, headers={"Retry-After": "600"}, json=error_body(429))

    error = await failure(provider)

    assert error.kind is FailureKind.RATE_LIMITED
    assert route.call_count == 1
    assert fake_time.sleeps == []


async def test_billed_failures_are_retried_once_per_generation(router, provider):
    route = router.post(COMPLETIONS).mock(
        side_effect=[httpx.Response(500, json=error_body(500)), httpx.Response(502, json=error_body(502))]
    )

    assert (await failure(provider)).kind is FailureKind.UNAVAILABLE
    assert route.call_count == 2


async def test_no_more_than_three_attempts_in_all(router, provider):
    route = router.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(503, json=error_body(503)),
            httpx.Response(500, json=error_body(500)),
            httpx.Response(529, json=error_body(529)),
            httpx.Response(200, json=completion()),
        ]
    )

    assert (await failure(provider)).kind is FailureKind.UNAVAILABLE
    assert route.call_count == 3


async def test_connect_errors_are_retried_and_leave_the_model_uncalled(router, provider, fake_time):
    route = router.post(COMPLETIONS).mock(side_effect=httpx.ConnectError("connection refused"))

    error = await failure(provider)

    assert error.kind is FailureKind.UNAVAILABLE
    assert error.model_called is False
    assert route.call_count == 3
    assert len(fake_time.sleeps) == 2


async def test_connect_error_then_success(router, provider):
    route = router.post(COMPLETIONS).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=completion())]
    )

    assert (await generate(provider)).image == RESULT
    assert route.call_count == 2


async def test_model_called_once_any_attempt_reached_openrouter(router, provider):
    router.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(503, json=error_body(503)),
            httpx.ConnectError("x"),
            httpx.ConnectError("x"),
        ]
    )

    assert (await failure(provider)).model_called is True


async def test_read_timeout_is_retried_once(router, provider):
    route = router.post(COMPLETIONS).mock(side_effect=httpx.ReadTimeout("slow"))

    error = await failure(provider)

    assert error.kind is FailureKind.UNAVAILABLE
    assert error.model_called is True
    assert route.call_count == 2


async def test_deadline_covers_all_attempts(router, make_provider, fake_time):
    provider = make_provider(deadline_seconds=120)

    def slow_503(request):
        fake_time.now += 70
        return httpx.Response(503, json=error_body(503))

    route = router.post(COMPLETIONS).mock(side_effect=slow_503)

    error = await failure(provider)

    assert error.kind is FailureKind.UNAVAILABLE
    # A third attempt would start after the deadline.
    assert route.call_count == 2


async def test_deadline_interrupts_a_hanging_attempt(router, make_provider):
    provider = make_provider(deadline_seconds=0.05, clock=asyncio.get_running_loop().time)

    started: list[httpx.Request] = []

    async def hang(request):
        started.append(request)
        await asyncio.Event().wait()

    router.post(COMPLETIONS).mock(side_effect=hang)

    async with asyncio.timeout(5):  # fails instead of hanging if the deadline does not work
        error = await failure(provider)

    assert error.kind is FailureKind.UNAVAILABLE
    assert str(error) == OUT_OF_TIME
    assert len(started) == 1


async def test_deadline_covers_the_download(router, make_provider):
    # Room for the model's answer to come first even on a busy machine: it is the download that must run out.
    provider = make_provider(deadline_seconds=0.5, clock=asyncio.get_running_loop().time)

    async def hang(request):
        await asyncio.Event().wait()

    router.post(COMPLETIONS).respond(200, json=completion(f"https://{IMAGE_HOST}/out.png"))
    router.get(f"https://{IMAGE_HOST_IP}/out.png").mock(side_effect=hang)

    async with asyncio.timeout(5):  # fails instead of hanging if the deadline does not work
        error = await failure(provider)

    assert error.kind is FailureKind.UNAVAILABLE
    assert error.model_called is True


# The circuit breaker


@pytest.fixture
def breaker_provider(make_provider, fake_time):
    return make_provider(breaker=CircuitBreaker(2, 60, clock=fake_time.clock))


async def test_breaker_opens_after_consecutive_failures(router, breaker_provider, fake_time):
    route = router.post(COMPLETIONS).respond(401, json=error_body(401, "User not found."))
    for _ in range(2):
        await failure(breaker_provider)
    assert route.call_count == 2
    assert breaker_provider.is_available() is False

    error = await failure(breaker_provider)

    assert error.kind is FailureKind.UNAVAILABLE
    assert error.model_called is False
    assert route.call_count == 2


async def test_breaker_lets_one_probe_through_after_the_reset_time(router, breaker_provider, fake_time):
    route = router.post(COMPLETIONS).mock(
        side_effect=[httpx.Response(401, json=error_body(401))] * 2 + [httpx.Response(200, json=completion())]
    )
    for _ in range(2):
        await failure(breaker_provider)
    fake_time.now += 59.9
    assert breaker_provider.is_available() is False
    fake_time.now += 0.2
    assert breaker_provider.is_available() is True

    assert (await generate(breaker_provider)).image == RESULT

    assert route.call_count == 3
    assert breaker_provider.is_available() is True
    router.get(f"{BASE}/key").respond(200, json={"data": {}})
    assert (await breaker_provider.health())["breaker"] == "closed"


async def test_breaker_failed_probe_reopens(router, breaker_provider, fake_time):
    route = router.post(COMPLETIONS).respond(402, json=error_body(402))
    for _ in range(2):
        await failure(breaker_provider)
    fake_time.now += 60.1

    await failure(breaker_provider)

    assert route.call_count == 3
    assert breaker_provider.is_available() is False
    assert (await failure(breaker_provider)).model_called is False
    assert route.call_count == 3


async def test_a_cancelled_probe_frees_the_probe_slot(router, breaker_provider, fake_time):
    router.post(COMPLETIONS).respond(503, json=error_body(503))
    for _ in range(2):
        await failure(breaker_provider)
    fake_time.now += 60.1
    started = asyncio.Event()

    async def hang(request):
        started.set()
        await asyncio.Event().wait()

    router.post(COMPLETIONS).mock(side_effect=hang)
    probe = asyncio.create_task(generate(breaker_provider))
    try:
        async with asyncio.timeout(5):
            await started.wait()
        assert breaker_provider.is_available() is False
    finally:
        probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe

    assert breaker_provider.is_available() is True


async def test_refusals_do_not_open_the_breaker(router, breaker_provider):
    router.post(COMPLETIONS).respond(403, json=error_body(403, "flagged"))
    for _ in range(5):
        assert (await failure(breaker_provider)).kind is FailureKind.REFUSED
    assert breaker_provider.is_available() is True


# Secrets, logs and health


async def test_key_and_bodies_stay_out_of_errors_and_logs(router, provider, caplog):
    caplog.set_level(logging.DEBUG, logger="app.providers.openrouter")
    router.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(500, json=error_body(500, f"upstream said: your key {KEY} is odd", raw="RAWBODY")),
            httpx.Response(200, json=completion()),
        ]
    )

    await generate(provider)
    router.post(COMPLETIONS).respond(401, json=error_body(401, f"User not found for {KEY}"))
    error = await failure(provider)

    assert KEY not in str(error)
    assert "RAWBODY" not in str(error)
    logs = caplog.text
    assert KEY not in logs
    assert "RAWBODY" not in logs
    assert "upstream said" not in logs
    assert base64.b64encode(PHOTO).decode()[:40] not in logs
    assert base64.b64encode(RESULT).decode()[:40] not in logs
    attempts = [r.getMessage() for r in caplog.records if "attempt=" in r.getMessage()]
    assert len(attempts) == 3
    assert "generation=gen-local-1 attempt=1 status=500 latency_ms=" in attempts[0]
    assert "generation=gen-local-1 attempt=2 status=200 latency_ms=" in attempts[1]
    assert attempts[1].endswith("openrouter_id=gen-1766430357-k5nSYFOODqylNPQfrEu9")


def test_provider_repr_does_not_show_the_key(provider):
    assert KEY not in repr(vars(provider))


async def test_health_checks_the_key_and_caches_the_answer(router, provider, fake_time):
    route = router.get(f"{BASE}/key").respond(200, json={"data": {"label": "sk-or-v1-012...", "usage": 0.0}})

    health = await provider.health()
    await provider.health()

    assert health["provider"] == "openrouter"
    assert health["key"] == "accepted"
    assert health["available"] is True
    assert route.call_count == 1
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"
    fake_time.now += 301
    await provider.health()
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (httpx.Response(401, json=error_body(401, "User not found.")), "rejected"),
        (httpx.Response(500, text="oops"), "unreachable"),
        (httpx.ConnectError("refused"), "unreachable"),
    ],
)
async def test_health_reports_a_bad_or_unreachable_key(router, provider, response, key):
    router.get(f"{BASE}/key").mock(side_effect=[response])

    assert (await provider.health())["key"] == key


# Construction


async def test_from_settings(router):
    settings = Settings(
        _env_file=None,
        openrouter_api_key=KEY,
        openrouter_base_url="https://proxy.test/v1/",
        openrouter_model="google/gemini-2.5-flash-image",
        openrouter_max_tokens=2048,
        public_url=REFERER,
        breaker_failure_threshold=1,
    )
    route = router.post("https://proxy.test/v1/chat/completions").respond(401, json=error_body(401))
    provider = OpenRouterProvider.from_settings(settings)
    try:
        await failure(provider)
        assert provider.is_available() is False
    finally:
        await provider.aclose()

    request = route.calls.last.request
    assert request.headers["HTTP-Referer"] == REFERER
    assert json.loads(request.content)["max_tokens"] == 2048
    assert provider._client.is_closed


async def test_aclose_leaves_an_injected_client_open(provider, client):
    await provider.aclose()

    assert not client.is_closed


def test_from_settings_needs_a_key():
    with pytest.raises(Exception, match="OPENROUTER_API_KEY"):
        OpenRouterProvider.from_settings(
            Settings(_env_file=None, ai_provider="openrouter", openrouter_api_key=None)
        )
