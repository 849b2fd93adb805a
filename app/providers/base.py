"""The one image-model interface: (a photo, style) in, image bytes plus usage out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from app.styles import Style


@dataclass(frozen=True)
class ProviderResult:
    image: bytes
    model: str
    provider_generation_id: str | None = None
    cost_usd: Decimal | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class FailureKind(StrEnum):
    REFUSED = "refused"  # the model declined the content
    UNAVAILABLE = "unavailable"  # provider down, overloaded, timed out
    RATE_LIMITED = "rate_limited"
    MISCONFIGURED = "misconfigured"  # bad key, unknown model, our account out of credit
    BAD_OUTPUT = "bad_output"  # an answer with no usable image


USER_MESSAGES = {
    FailureKind.REFUSED: "The image model refused this photo. Try a different portrait.",
    FailureKind.UNAVAILABLE: "The image model is temporarily unavailable. Please try again later.",
    FailureKind.RATE_LIMITED: "The image model is busy right now (rate limited). Please try again in a moment.",
    FailureKind.MISCONFIGURED: "The image service is misconfigured on our side. Please try again later.",
    FailureKind.BAD_OUTPUT: "The image model did not return a usable image. Please try again.",
}


class ProviderError(Exception):
    """A model call that failed. `str(error)` is a sentence for people: no keys, no raw provider bodies."""

    def __init__(self, kind: FailureKind, message: str | None = None, *, model_called: bool = True) -> None:
        self.kind = kind
        # False when the failure happened before any request reached the model (refundable by policy).
        self.model_called = model_called
        super().__init__(message or USER_MESSAGES[kind])


# The photo, read when a provider needs it (at each attempt) rather than handed over as bytes: a call waiting on the
# model then holds no copy of it, and with a thousand calls in flight those copies were most of a process's memory.
ImageSource = Callable[[], Awaitable[bytes]]


def image_of(data: bytes) -> ImageSource:
    """A source for a photo already in memory (tools, tests)."""

    async def read() -> bytes:
        return data

    return read


class AnswerSlot:
    """A place among the model answers a process holds in memory at once, for one generation.

    A provider takes it just before it reads the model's answer (about 1.4 MB of JSON around each image), and its
    caller gives it back once that answer has been turned into files. Answers beyond the places stay unread in
    their connections meanwhile: when results arrive faster than the image threads process them, memory stays
    bounded instead of growing by an image per waiting answer. Taking it twice (a retried attempt) holds one place.
    """

    def __init__(self, places: asyncio.Semaphore) -> None:
        self._places = places
        self._held = False

    async def take(self) -> None:
        if not self._held:
            await self._places.acquire()
            self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._places.release()

    def __enter__(self) -> AnswerSlot:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


class ImageProvider(Protocol):
    name: str

    async def generate(
        self, image: ImageSource, content_type: str, style: Style, *, generation_id: str,
        instructions: str | None = None, aspect_ratio: str | None = None, model: str | None = None,
        answer_slot: AnswerSlot | None = None,
    ) -> ProviderResult:
        """`instructions`: the prompt (default: the style's); `aspect_ratio`: the shape of the result (default: the
        image's own); `model`: the provider's model id (default: its configured one); `answer_slot`: taken before
        the answer is held in memory, and left for the caller to give back."""
        ...

    async def aclose(self) -> None: ...

    def is_available(self) -> bool:
        """False while the provider is known to be failing, so that new work can be turned away at once."""
        ...

    async def health(self) -> dict:
        """A small JSON-able report for the health endpoint; it must not call the model."""
        ...
