"""OpenRouter's failures as FailureKinds, with what the retry policy needs to know about each."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.providers.base import FailureKind, ProviderError

PHOTO_UNUSABLE = "The image model could not use this photo. Try a different portrait (JPEG, PNG or WebP)."
OUT_OF_TIME = "The image model took too long to answer. Please try again later."
OUT_OF_CREDIT = "The image service is temporarily unavailable on our side. Please try again later."

# metadata.error_type values that blame the photo we sent, not the service: the person can fix them.
PHOTO_ERROR_TYPES = frozenset(
    {
        "invalid_image",
        "image_too_large",
        "image_too_small",
        "unsupported_image_format",
        "image_not_found",
        "image_download_failed",
    }
)
REFUSAL_ERROR_TYPES = frozenset({"content_policy_violation", "refusal"})
UNAVAILABLE_ERROR_TYPES = frozenset({"provider_overloaded", "provider_unavailable", "timeout", "server"})
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class Retry(StrEnum):
    TRANSIENT = "transient"  # nothing was billed: retry up to the attempt limit
    ONCE = "once"  # the call may have been billed: retry at most once per generation


class OpenRouterError(ProviderError):
    """A ProviderError that also says whether trying again may help, and what to log about it."""

    def __init__(
        self,
        kind: FailureKind,
        message: str | None = None,
        *,
        detail: str,
        model_called: bool = True,
        retry: Retry | None = None,
        retry_after: float | None = None,
        out_of_credit: bool = False,
    ) -> None:
        super().__init__(kind, message, model_called=model_called)
        # For logs only: a status, code, error_type or reason of ours, never text copied from a body.
        self.detail = detail
        # HTTP 402: our OpenRouter account (or this key's credit limit) has run out, which only an operator can fix.
        self.out_of_credit = out_of_credit
        self.retry = retry
        self.retry_after = retry_after


def safe_token(value: Any) -> str | None:
    """A short identifier-like string from a body, fit for logs; anything else is dropped."""
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def parse_retry_after(value: str | None) -> float | None:
    # Only the delay-seconds form: OpenRouter sends seconds, and a date would need a trusted clock.
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def error_type_of(error: Any) -> str | None:
    if not isinstance(error, Mapping):
        return None
    metadata = error.get("metadata")
    return safe_token(metadata.get("error_type")) if isinstance(metadata, Mapping) else None


def error_for_status(status: int, error: Any = None, retry_after: float | None = None) -> OpenRouterError:
    """Map an HTTP status (or the `error.code` of a body) and its `error` object to a failure."""
    error_type = error_type_of(error)
    detail = f"status={status}" + (f" error_type={error_type}" if error_type else "")
    if 400 <= status < 500 and error_type in PHOTO_ERROR_TYPES:
        return OpenRouterError(FailureKind.REFUSED, PHOTO_UNUSABLE, detail=detail)
    if status == 403 or (status == 400 and error_type in REFUSAL_ERROR_TYPES):
        return OpenRouterError(FailureKind.REFUSED, detail=detail)
    if status == 429:
        return OpenRouterError(
            FailureKind.RATE_LIMITED, detail=detail, retry=Retry.TRANSIENT, retry_after=retry_after
        )
    if status in (503, 529):
        return OpenRouterError(
            FailureKind.UNAVAILABLE, detail=detail, retry=Retry.TRANSIENT, retry_after=retry_after
        )
    if status in (408, 524) or status >= 500:
        return OpenRouterError(FailureKind.UNAVAILABLE, detail=detail, retry=Retry.ONCE)
    if status == 402:
        return OpenRouterError(FailureKind.MISCONFIGURED, OUT_OF_CREDIT, detail=detail, out_of_credit=True)
    # 400, 401, 404, 413, and whatever else we did not expect (a redirect means a wrong base URL).
    return OpenRouterError(FailureKind.MISCONFIGURED, detail=detail)


def error_for_choice(error: Any) -> OpenRouterError:
    """Map the `choices[0].error` of an HTTP-200 answer whose finish_reason is "error"."""
    error_type = error_type_of(error)
    detail = f"finish_reason=error error_type={error_type}"
    if error_type in PHOTO_ERROR_TYPES:
        return OpenRouterError(FailureKind.REFUSED, PHOTO_UNUSABLE, detail=detail)
    if error_type in REFUSAL_ERROR_TYPES:
        return OpenRouterError(FailureKind.REFUSED, detail=detail)
    code = error.get("code") if isinstance(error, Mapping) else None
    if error_type not in UNAVAILABLE_ERROR_TYPES and isinstance(code, int) and 400 <= code < 600:
        # The model has run already, so this is never retried whatever the code says.
        failure = error_for_status(code, error)
        return OpenRouterError(failure.kind, str(failure), detail=f"{detail} code={code}",
                               out_of_credit=failure.out_of_credit)
    return OpenRouterError(FailureKind.UNAVAILABLE, detail=detail)
