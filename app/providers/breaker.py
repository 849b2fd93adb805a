"""A circuit breaker: stop calling a provider that keeps failing, and try it again now and then."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; after `reset_seconds` one probe call may pass.

    Callers ask `allow()` before a call and then report exactly one outcome for every allowed call:
    `record_success()`, `record_failure()`, or `record_neutral()` for an outcome that says nothing about
    the provider's health (a refused photo, a cancelled call). Single event loop, no locking needed.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_seconds: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._threshold = failure_threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probe_in_flight or self._clock() - self._opened_at >= self._reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def available(self) -> bool:
        """Whether `allow()` would let a call through now; changes nothing."""
        state = self.state
        return state is BreakerState.CLOSED or (state is BreakerState.HALF_OPEN and not self._probe_in_flight)

    def allow(self) -> bool:
        """Take permission for one call; in half-open state only the first caller gets it."""
        if not self.available():
            return False
        if self._opened_at is not None:
            self._probe_in_flight = True
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probe_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        # A failed probe re-opens at once: one more data point is enough while we already distrust it.
        if self._probe_in_flight or self._failures >= self._threshold:
            self._opened_at = self._clock()
        self._probe_in_flight = False

    def record_neutral(self) -> None:
        # Frees the probe slot so that the next call can probe instead.
        self._probe_in_flight = False
