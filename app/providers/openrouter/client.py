"""The OpenRouter image provider: Gemini 2.5 Flash Image through OpenRouter's chat-completions API."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, wait_exponential_jitter

from app import metrics
from app.config import ConfigurationError, Settings
from app.providers.base import AnswerSlot, FailureKind, ImageSource, ProviderError, ProviderResult
from app.providers.breaker import BreakerState, CircuitBreaker
from app.providers.openrouter.answer import read_answer
from app.providers.openrouter.errors import (
    OUT_OF_TIME,
    OpenRouterError,
    Retry,
    error_for_status,
    parse_retry_after,
    safe_token,
)
from app.providers.openrouter.fetch import ImageFetcher, Resolver, read_capped, resolve_with_loop
from app.providers.openrouter.pools import SpreadTransport
from app.providers.openrouter.request import StreamedBody, streamed_body
from app.styles import Style

logger = logging.getLogger("app.providers.openrouter")

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_ATTEMPTS = 3
# Answers are 1.5-2.3 MB of JSON and usually take 6-12 s, but a slow model run takes far longer.
TIMEOUT = httpx.Timeout(connect=10.0, read=150.0, write=60.0, pool=10.0)
KEY_CHECK_TIMEOUT = 10.0
_SPARE_CONNECTIONS = 4
# How long an idle connection is kept for the next call. Servers close idle ones too (uvicorn after 5 s, others
# later), and a call sent just as the server closes its connection fails (ReadError) after reaching it, so each
# such race cost a generation, refunded: one in about 600 under load against a 5 s server with httpx's default
# of 5 s here, none in 1,165 with 4 s. A connection idle longer costs the next call a new handshake.
KEEPALIVE_SECONDS = 4.0
KEY_CHECK_TTL = 300.0
# Short, so that health stops reporting an outage soon after it ends.
KEY_UNREACHABLE_TTL = 30.0
# A refused photo or a broken answer says nothing about whether the provider is up.
BREAKER_FAILURES = frozenset({FailureKind.UNAVAILABLE, FailureKind.RATE_LIMITED, FailureKind.MISCONFIGURED})

Sleep = Callable[[float], Awaitable[None]]


def connection_limits(concurrency: int) -> httpx.Limits:
    """One connection per call that may run at once (MODEL_CONCURRENCY), each kept open for the next call, plus a
    few for the key check and image downloads. httpx's own defaults (100 connections, 20 kept) would make a second,
    hidden limit: calls beyond 100 waited for a connection and failed after the pool's time-out, and a connection
    closed after each answer costs the next call a new TLS handshake."""
    connections = concurrency + _SPARE_CONNECTIONS
    return httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                        keepalive_expiry=KEEPALIVE_SECONDS)


@dataclass
class _Run:
    """One generation's attempts, measured against its deadline."""

    generation_id: str
    deadline: float
    clock: Callable[[], float]
    attempts: int = 0
    billed_failures: int = 0
    # Whether any request got as far as OpenRouter; if none did, the caller may refund.
    reached: bool = False
    answer_slot: AnswerSlot | None = None

    def remaining(self) -> float:
        return self.deadline - self.clock()


class OpenRouterProvider:
    name = "openrouter"

    def __init__(
        self,
        *,
        api_key: str | SecretStr,
        base_url: str = "https://openrouter.ai/api/v1",
        model: str = "google/gemini-2.5-flash-image",
        max_tokens: int = 4096,
        referer: str | None = None,
        title: str = "AIVenger",
        image_hosts: Iterable[str] = (),
        deadline_seconds: float = 120.0,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        breaker: CircuitBreaker | None = None,
        concurrency: int = Settings.model_fields["model_concurrency"].default,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        resolve: Resolver = resolve_with_loop,
    ) -> None:
        self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._base_url = base_url.rstrip("/")
        self._model = model
        self._max_tokens = max_tokens
        self._referer = referer
        self._title = title
        self._deadline_seconds = deadline_seconds
        # The answer is JSON around a base64 image: 4/3 of the image, plus room for the rest.
        self._max_answer_bytes = max_image_bytes * 4 // 3 + 1024 * 1024
        self._breaker = breaker or CircuitBreaker(clock=clock)
        self._owns_client = client is None
        limits = connection_limits(concurrency)
        # The limits as well: they still size the pool of a proxy taken from the environment (HTTPS_PROXY).
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, limits=limits,
                                                   transport=SpreadTransport(limits))
        self._sleep = sleep
        self._clock = clock
        self._fetcher = ImageFetcher(
            self._client, allowed_hosts=image_hosts, max_bytes=max_image_bytes, resolve=resolve
        )
        self._key_status: tuple[str, float] | None = None
        self._key_lock = asyncio.Lock()
        # From a 402 until a call succeeds again: what /metrics reports, for an alert that lasts as long as it does.
        self.out_of_credit = False

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: httpx.AsyncClient | None = None
    ) -> OpenRouterProvider:
        if settings.openrouter_api_key is None:
            raise ConfigurationError(
                "AI_PROVIDER=openrouter needs OPENROUTER_API_KEY (https://openrouter.ai/settings/keys)."
            )
        return cls(
            api_key=settings.openrouter_api_key,
            base_url=settings.openrouter_base_url,
            model=settings.openrouter_model,
            max_tokens=settings.openrouter_max_tokens,
            referer=settings.public_url,
            image_hosts=settings.openrouter_image_hosts,
            deadline_seconds=settings.generation_deadline_seconds,
            breaker=CircuitBreaker(settings.breaker_failure_threshold, settings.breaker_reset_seconds),
            concurrency=settings.model_concurrency,
            client=client,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def is_available(self) -> bool:
        return self._breaker.available()

    @property
    def breaker_state(self) -> BreakerState:
        return self._breaker.state

    def _headers(self) -> dict[str, str]:
        # Per request rather than on the client: the same client downloads images from other hosts.
        headers = {"Authorization": f"Bearer {self._api_key.get_secret_value()}", "X-Title": self._title}
        if self._referer:
            headers["HTTP-Referer"] = self._referer
        return headers

    async def generate(
        self, image: ImageSource, content_type: str, style: Style, *, generation_id: str,
        instructions: str | None = None, aspect_ratio: str | None = None, model: str | None = None,
        answer_slot: AnswerSlot | None = None,
    ) -> ProviderResult:
        if not self._breaker.allow():
            logger.warning("openrouter generation=%s not called: circuit breaker open", generation_id)
            raise ProviderError(FailureKind.UNAVAILABLE, model_called=False)
        try:
            ask = _Ask(instructions or style.prompt, aspect_ratio, model or self._model)
            result = await self._generate(image, content_type, ask, generation_id, answer_slot)
        except ProviderError as error:
            if error.kind in BREAKER_FAILURES:
                self._breaker.record_failure()
            else:
                self._breaker.record_neutral()
            if isinstance(error, OpenRouterError) and error.out_of_credit:
                self._alert_out_of_credit(generation_id)
            raise
        except BaseException:
            self._breaker.record_neutral()
            raise
        self._breaker.record_success()
        self.out_of_credit = False
        return result

    def _alert_out_of_credit(self, generation_id: str) -> None:
        # Every generation fails until someone adds credit, and nothing here can: the operator must hear of it.
        self.out_of_credit = True
        metrics.provider_out_of_credit(self.name)
        logger.error(
            "openrouter account is out of credit (HTTP 402, generation=%s): top it up at "
            "https://openrouter.ai/settings/credits (or raise the API key's credit limit); until then every "
            "generation fails",
            generation_id,
        )

    async def _generate(
        self, image: ImageSource, content_type: str, ask: _Ask, generation_id: str, answer_slot: AnswerSlot | None,
    ) -> ProviderResult:
        run = _Run(generation_id, self._clock() + self._deadline_seconds, self._clock, answer_slot=answer_slot)
        try:
            data: Any = await self._retrying(run)(self._attempt, run, image, content_type, ask)
            answer = read_answer(data)
            remaining = run.remaining()
            if remaining <= 0:
                raise OpenRouterError(FailureKind.UNAVAILABLE, OUT_OF_TIME, detail="deadline before download")
            output = await self._fetcher.fetch(answer.image_url, timeout=remaining)
        except OpenRouterError as error:
            error.model_called = run.reached
            logger.warning(
                "openrouter generation=%s failed kind=%s attempts=%d model_called=%s: %s",
                generation_id, error.kind, run.attempts, run.reached, error.detail,
            )  # fmt: skip
            raise
        logger.info(
            "openrouter generation=%s done attempts=%d openrouter_id=%s cost=%s",
            generation_id, run.attempts, answer.generation_id, answer.cost_usd,
        )  # fmt: skip
        return ProviderResult(
            image=output,
            model=answer.model or ask.model,
            provider_generation_id=answer.generation_id,
            cost_usd=answer.cost_usd,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
        )

    def _retrying(self, run: _Run) -> AsyncRetrying:
        def should_retry(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if not isinstance(error, OpenRouterError) or error.retry is None:
                return False
            if state.attempt_number >= MAX_ATTEMPTS:
                return False
            # A call that may have been billed is repeated once per generation, not once per failure.
            return error.retry is Retry.TRANSIENT or run.billed_failures <= 1

        backoff = wait_exponential_jitter(initial=1.0, max=10.0, jitter=1.0)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, OpenRouterError) and error.retry_after is not None:
                return error.retry_after
            return backoff(state)

        def out_of_time(state: RetryCallState) -> bool:
            # Sleeping into the deadline only to fail then helps nobody: give up with the last failure now.
            return state.upcoming_sleep >= run.remaining()

        return AsyncRetrying(retry=should_retry, wait=wait, stop=out_of_time, sleep=self._sleep, reraise=True)

    async def _attempt(self, run: _Run, image: ImageSource, content_type: str, ask: _Ask) -> Any:
        run.attempts += 1
        remaining = run.remaining()
        if remaining <= 0:
            raise OpenRouterError(FailureKind.UNAVAILABLE, OUT_OF_TIME, detail="deadline before attempt")
        # Made afresh for each attempt and sent as it is made: while the model works, this call holds no image.
        body = streamed_body(await image(), content_type, ask.instructions, model=ask.model,
                             max_tokens=self._max_tokens, aspect_ratio=ask.aspect_ratio)
        started = time.perf_counter()
        status: int | None = None
        data: Any = None
        try:
            response, raw = await self._post(run, body, remaining)
            status = response.status_code
            data = self._decode(run, response, await asyncio.to_thread(_parsed, raw))
            return data
        finally:
            openrouter_id = safe_token(data.get("id")) if isinstance(data, dict) else None
            logger.info(
                "openrouter generation=%s attempt=%d status=%s latency_ms=%d openrouter_id=%s",
                run.generation_id, run.attempts, status or "none", (time.perf_counter() - started) * 1000,
                openrouter_id,
            )  # fmt: skip

    async def _post(self, run: _Run, body: StreamedBody, remaining: float) -> tuple[httpx.Response, bytes]:
        url = f"{self._base_url}/chat/completions"
        # With its length given, the streamed body goes out as a plain one, not in chunked encoding.
        headers = {**self._headers(), "Content-Type": "application/json", "Content-Length": str(body.length)}
        try:
            async with (
                asyncio.timeout(remaining),
                self._client.stream(
                    "POST", url, content=body.chunks, headers=headers, timeout=TIMEOUT, follow_redirects=False
                ) as response,
            ):
                run.reached = True
                if run.answer_slot is not None:
                    await run.answer_slot.take()
                raw = await read_capped(response, self._max_answer_bytes)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            detail = f"cannot connect ({type(exc).__name__})"
            raise OpenRouterError(FailureKind.UNAVAILABLE, detail=detail, retry=Retry.TRANSIENT) from None
        except TimeoutError:
            run.reached = True
            raise OpenRouterError(
                FailureKind.UNAVAILABLE, OUT_OF_TIME, detail="deadline during attempt"
            ) from None
        except httpx.HTTPError as exc:
            # The request went out and may still be running, and be billed, upstream.
            run.reached = True
            run.billed_failures += 1
            detail = f"transport error ({type(exc).__name__})"
            raise OpenRouterError(FailureKind.UNAVAILABLE, detail=detail, retry=Retry.ONCE) from None
        return response, raw

    def _decode(self, run: _Run, response: httpx.Response, data: Any) -> Any:
        error = data.get("error") if isinstance(data, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        status = response.status_code
        if status == 200 and isinstance(code, int) and code >= 400 and "choices" not in data:
            # OpenRouter sometimes reports an upstream failure inside a 200.
            status = code
        if status >= 300:
            failure = error_for_status(status, error, parse_retry_after(response.headers.get("retry-after")))
            if failure.retry is Retry.ONCE:
                run.billed_failures += 1
            raise failure
        if data is None:
            raise OpenRouterError(FailureKind.BAD_OUTPUT, detail=f"status={status}, body is not JSON")
        return data

    async def health(self) -> dict[str, Any]:
        async with self._key_lock:
            now = self._clock()
            if self._key_status is None or self._key_status[1] <= now:
                key = await self._check_key()
                ttl = KEY_UNREACHABLE_TTL if key == "unreachable" else KEY_CHECK_TTL
                self._key_status = (key, now + ttl)
            key = self._key_status[0]
        return {
            "provider": self.name,
            "model": self._model,
            "key": key,
            "breaker": self._breaker.state.value,
            "available": self.is_available(),
        }

    async def _check_key(self) -> str:
        try:
            response = await self._client.get(
                f"{self._base_url}/key",
                headers=self._headers(),
                timeout=KEY_CHECK_TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            logger.warning("openrouter key check failed: %s", type(exc).__name__)
            return "unreachable"
        logger.info("openrouter key check status=%d", response.status_code)
        if response.status_code == 200:
            return "accepted"
        if response.status_code in (401, 403):
            return "rejected"
        return "unreachable"


@dataclass(frozen=True)
class _Ask:
    """What one generation asks of the model."""

    instructions: str
    aspect_ratio: str | None
    model: str


def _parsed(raw: bytes) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return None
