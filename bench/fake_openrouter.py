"""A stand-in for OpenRouter's chat-completions API, on loopback, for load that must not reach (or pay) the real one.

It speaks the wire format of /work/shared/docs/openrouter.md as the API's client uses it: `POST
{base}/chat/completions` with a bearer key, a text part then an image part as a data URL, `modalities` with
"image"; the answer carries the image as a base64 PNG data URL in `choices[0].message.images[0].image_url.url`,
with `usage.cost`. `GET {base}/key` answers the API's health check.

Run as `uvicorn bench.fake_openrouter:app` with, in its environment:
  FAKE_OPENROUTER_LATENCY       seconds each successful call takes (the model's run time)
  FAKE_OPENROUTER_FAILURE_RATE  share of calls that fail, half as 429 (at once, Retry-After: 1), half as 500
                                (after the latency, like a model run that broke)
  FAKE_OPENROUTER_SEED          for a repeatable sequence of failures
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import random
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PHOTO = Path(__file__).resolve().parent.parent / "tests" / "photos" / "portrait-astronaut.jpg"
API_KEY = "sk-or-fake"
MODEL = "google/gemini-2.5-flash-image"
# Gemini 2.5 Flash Image's output sizes per aspect ratio (the docs' table); anything else gets the default.
SIZES = {"1:1": (1024, 1024), "2:3": (832, 1248), "3:4": (864, 1184), "4:5": (896, 1152), "9:16": (768, 1344)}
DEFAULT_RATIO = "1:1"
_ID_MARK = b"@@GENERATION-ID@@"


class Knobs:
    def __init__(self) -> None:
        self.latency = float(os.environ.get("FAKE_OPENROUTER_LATENCY", "1.0"))
        self.failure_rate = float(os.environ.get("FAKE_OPENROUTER_FAILURE_RATE", "0"))
        self.random = random.Random(int(os.environ.get("FAKE_OPENROUTER_SEED", "0")))


class Counters:
    def __init__(self) -> None:
        self.in_flight = 0
        self.served = 0
        self.failed_500 = 0
        self.failed_429 = 0
        self.rejected = 0


knobs = Knobs()
counters = Counters()
_answers: dict[str, bytes] = {}


def _answer_template(ratio: str) -> bytes:
    """The whole 200 answer for one output size, built once: the image dominates its 1-2 MB, and encoding it
    per call would spend the machine's CPU (shared with the API under test) on the fake."""
    width, height = SIZES[ratio]
    with Image.open(PHOTO) as photo:
        picture = ImageOps.fit(photo.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    answer = {
        "id": _ID_MARK.decode(), "provider": "Google", "model": MODEL, "object": "chat.completion",
        "created": 0,
        "choices": [{
            "index": 0, "finish_reason": "stop", "native_finish_reason": "STOP",
            "message": {"role": "assistant", "content": "Here you go: ", "refusal": None,
                        "images": [{"type": "image_url", "index": 0, "image_url": {"url": data_url}}]},
        }],
        "usage": {"prompt_tokens": 1290, "completion_tokens": 1290, "total_tokens": 2580, "cost": 0.0387,
                  "completion_tokens_details": {"image_tokens": 1290}},
    }
    return json.dumps(answer).encode()


def _error(status: int, message: str, headers: dict[str, str] | None = None, **metadata: Any) -> JSONResponse:
    body = {"error": {"code": status, "message": message, "metadata": metadata}, "user_id": "user_fake"}
    return JSONResponse(body, status_code=status, headers=headers)


def _authorised(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {API_KEY}"


def _problem(body: Any) -> str | None:
    """What is wrong with a request body, by the documented format; None when it is what OpenRouter accepts."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "model is required"
    if "image" not in (body.get("modalities") or []):
        return "modalities must include image"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens must be set"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        return "messages is required"
    content = messages[0].get("content")
    if not isinstance(content, list) or len(content) < 2:
        return "content must hold a text part and an image part"
    text, image = content[0], content[1]
    if not isinstance(text, dict) or text.get("type") != "text" or not text.get("text"):
        return "the first part must be the text"
    url = image.get("image_url", {}).get("url") if isinstance(image, dict) else None
    if not isinstance(url, str) or not url.startswith("data:image/") or ";base64," not in url[:40]:
        return "the image must be a base64 data URL"
    return None


async def chat_completions(request: Request) -> Response:
    if not _authorised(request):
        return _error(401, "User not found.")
    try:
        body = json.loads(await request.body())
    except ValueError:
        counters.rejected += 1
        return _error(400, "Invalid JSON body")
    problem = _problem(body)
    if problem:
        counters.rejected += 1
        return _error(400, problem)
    roll = knobs.random.random()
    if roll < knobs.failure_rate / 2:
        counters.failed_429 += 1
        return _error(429, "Rate limit exceeded", headers={"Retry-After": "1"})
    counters.in_flight += 1
    try:
        await asyncio.sleep(knobs.latency)
    finally:
        counters.in_flight -= 1
    if roll < knobs.failure_rate:
        counters.failed_500 += 1
        return _error(500, "Internal Server Error", provider_name="Google", raw="fake upstream failure")
    ratio = (body.get("image_config") or {}).get("aspect_ratio")
    template = _answers.get(ratio if isinstance(ratio, str) else DEFAULT_RATIO) or _answers[DEFAULT_RATIO]
    counters.served += 1
    generation_id = f"gen-{int(time.time())}-{secrets.token_hex(10)}".encode()
    return Response(template.replace(_ID_MARK, generation_id, 1), media_type="application/json")


async def key(request: Request) -> Response:
    if not _authorised(request):
        return _error(401, "User not found.")
    return JSONResponse({"data": {"label": "sk-or-...fake", "limit": None, "limit_remaining": None, "usage": 0.0,
                                  "is_free_tier": False}})


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def stats(request: Request) -> Response:
    return JSONResponse(vars(counters))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # Built before the first health answer, so that no measured call pays for it.
    for ratio in SIZES:
        _answers[ratio] = await asyncio.to_thread(_answer_template, ratio)
    yield


app = Starlette(
    routes=[
        Route("/api/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/api/v1/key", key),
        Route("/health", health),
        Route("/stats", stats),
    ],
    lifespan=lifespan,
)
