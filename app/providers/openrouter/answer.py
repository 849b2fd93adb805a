"""Reading an HTTP-200 chat completion: the image URL and bookkeeping, or the failure it really is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.providers.base import FailureKind
from app.providers.openrouter.errors import OpenRouterError, error_for_choice, safe_token

# Gemini's own reasons for an empty answer that are really a refusal.
REFUSAL_NATIVE_REASONS = frozenset(
    {"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "SAFETY", "PROHIBITED_CONTENT"}
)


@dataclass(frozen=True)
class Answer:
    image_url: str
    generation_id: str | None
    model: str | None
    cost_usd: Decimal | None
    prompt_tokens: int | None
    completion_tokens: int | None


def _image_urls(message: Mapping[str, Any]) -> list[str]:
    images = message.get("images")
    parts = images if isinstance(images, list) else []
    content = message.get("content")
    # The documented place is message.images; some answers put image parts in message.content instead.
    if not parts and isinstance(content, list):
        parts = [part for part in content if isinstance(part, Mapping) and part.get("type") == "image_url"]
    urls = []
    for part in parts:
        image_url = part.get("image_url") if isinstance(part, Mapping) else None
        url = image_url.get("url") if isinstance(image_url, Mapping) else None
        if isinstance(url, str) and url:
            urls.append(url)
    return urls


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cost(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        return None
    return cost if cost.is_finite() else None


def read_answer(data: Any) -> Answer:
    choices = data.get("choices") if isinstance(data, Mapping) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise OpenRouterError(FailureKind.BAD_OUTPUT, detail="answer has no choices")
    choice = choices[0]
    finish_reason = choice.get("finish_reason")
    if finish_reason == "error":
        raise error_for_choice(choice.get("error"))
    if finish_reason == "content_filter":
        raise OpenRouterError(FailureKind.REFUSED, detail="finish_reason=content_filter")
    message = choice.get("message")
    urls = _image_urls(message) if isinstance(message, Mapping) else []
    if not urls:
        native = choice.get("native_finish_reason")
        detail = f"no image, finish_reason={safe_token(finish_reason)} native={safe_token(native)}"
        refused = native in REFUSAL_NATIVE_REASONS or (
            isinstance(message, Mapping) and message.get("refusal")
        )
        raise OpenRouterError(FailureKind.REFUSED if refused else FailureKind.BAD_OUTPUT, detail=detail)
    usage = data.get("usage")
    usage = usage if isinstance(usage, Mapping) else {}
    return Answer(
        image_url=urls[0],
        generation_id=_text(data.get("id")),
        model=_text(data.get("model")),
        cost_usd=_cost(usage.get("cost")),
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
    )
