"""The chat-completions request that asks Gemini for an edited image."""

from __future__ import annotations

import io
import json
import math
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pybase64
from PIL import Image, UnidentifiedImageError

from app.styles import Style

ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# The input types OpenRouter accepts; anything else is labelled with what Pillow says the bytes are.
ACCEPTED_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
# EXIF orientations that turn the stored image by 90 degrees, so width and height swap on display.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112


def _ratio(name: str) -> float:
    width, height = name.split(":")
    return int(width) / int(height)


def nearest_aspect_ratio(width: int, height: int) -> str:
    # Compared on a log scale so that 2:1 and 1:2 are equally far from 1:1.
    target = math.log(width / height)
    return min(ASPECT_RATIOS, key=lambda name: abs(math.log(_ratio(name)) - target))


def describe_image(image: bytes, content_type: str) -> tuple[str, str | None]:
    """The MIME type to label the data URL with, and the aspect ratio to ask for (None if unreadable).

    Only the header is read: Pillow opens lazily, so this costs no decoding.
    """
    try:
        with Image.open(io.BytesIO(image)) as img:
            width, height = img.size
            sniffed = Image.MIME.get(img.format or "")
            if img.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS:
                width, height = height, width
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return content_type, None
    mime = content_type if content_type in ACCEPTED_TYPES else (sniffed or content_type)
    if width <= 0 or height <= 0:
        return mime, None
    return mime, nearest_aspect_ratio(width, height)


# Image bytes per base64 piece of a streamed body: a multiple of 3, so the pieces join without padding between them.
_IMAGE_PIECE = 3 * 32 * 1024


@dataclass(frozen=True)
class StreamedBody:
    """A request body sent as it is made: its exact length (sent as Content-Length), and its bytes."""

    length: int
    chunks: AsyncIterator[bytes]


def streamed_body(
    image: bytes, content_type: str, instructions: str | Style, *, model: str, max_tokens: int,
    aspect_ratio: str | None = None,
) -> StreamedBody:
    """The JSON of `build_body`, its image encoded piece by piece as it is sent: the base64 (4/3 of the image) is
    never held whole, and once the body is sent nothing of the image is left, however long the model takes."""
    mime, own_ratio = describe_image(image, content_type)
    # A random stand-in for the data URL, which no text in the body can contain by chance.
    stand_in = secrets.token_hex(16)
    body = build_body(stand_in, instructions, model=model, max_tokens=max_tokens,
                      aspect_ratio=aspect_ratio or own_ratio)
    before, after = json.dumps(body).encode().split(f'"{stand_in}"'.encode())
    head, tail = before + f'"data:{mime};base64,'.encode(), b'"' + after
    return StreamedBody(len(head) + 4 * math.ceil(len(image) / 3) + len(tail), _pieces(head, image, tail))


async def _pieces(head: bytes, image: bytes, tail: bytes) -> AsyncIterator[bytes]:
    yield head
    view = memoryview(image)
    for start in range(0, len(image), _IMAGE_PIECE):
        yield pybase64.b64encode(view[start:start + _IMAGE_PIECE])
    yield tail


def build_body(
    image_url: str, instructions: str | Style, *, model: str, max_tokens: int, aspect_ratio: str | None = None,
) -> dict[str, Any]:
    """`instructions`: the prompt (a style: its own); `aspect_ratio`: the shape asked for."""
    text = instructions.prompt if isinstance(instructions, Style) else instructions
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": text},
                    {"type": "image_url", "image_url": {"url": image_url}},
                ],
            }
        ],
        # Without "image" the model may answer in text only.
        "modalities": ["image", "text"],
        # OpenRouter reserves credit for the worst case, so an unbounded answer can fail with 402.
        "max_tokens": max_tokens,
    }
    if aspect_ratio is not None:
        body["image_config"] = {"aspect_ratio": aspect_ratio}
    return body
