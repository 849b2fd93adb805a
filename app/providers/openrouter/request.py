"""The chat-completions request that asks Gemini for an edited image."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

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


def build_body(
    image: bytes, content_type: str, instructions: str | Style, *, model: str, max_tokens: int,
    aspect_ratio: str | None = None,
) -> dict[str, Any]:
    """`instructions`: the prompt (a style: its own); `aspect_ratio`: the shape asked for, else the image's own."""
    mime, own_ratio = describe_image(image, content_type)
    aspect_ratio = aspect_ratio or own_ratio
    text = instructions.prompt if isinstance(instructions, Style) else instructions
    data_url = f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": text},
                    {"type": "image_url", "image_url": {"url": data_url}},
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
