import pytest

from app.providers.breaker import BreakerState, CircuitBreaker
from tests.support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker(3, 60, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure()


def test_starts_closed(breaker):
    assert breaker.state is BreakerState.CLOSED
    assert breaker.available()
    assert breaker.allow()


def test_opens_after_threshold_consecutive_failures(breaker):
    fail(breaker, 2)
    assert breaker.available()

    fail(breaker, 1)

    assert breaker.state is BreakerState.OPEN
    assert not breaker.available()
    assert not breaker.allow()


def test_a_success_resets_the_count(breaker):
    fail(breaker, 2)
    breaker.allow()
    breaker.record_success()
    fail(breaker, 2)

    assert breaker.state is BreakerState.CLOSED


def test_neutral_outcomes_neither_count_nor_reset(breaker):
    fail(breaker, 2)
    for _ in range(5):
        breaker.allow()
        breaker.record_neutral()
    assert breaker.state is BreakerState.CLOSED

    fail(breaker, 1)

    assert breaker.state is BreakerState.OPEN


def test_after_the_reset_time_exactly_one_probe_passes(breaker, clock):
    fail(breaker, 3)
    clock.now += 59.9
    assert not breaker.allow()
    clock.now += 0.1

    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.available()
    assert breaker.allow()
    assert not breaker.available()
    assert not breaker.allow()


def test_successful_probe_closes(breaker, clock):
    fail(breaker, 3)
    clock.now += 60
    assert breaker.allow()

    breaker.record_success()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_failed_probe_reopens_for_another_reset_period(breaker, clock):
    fail(breaker, 3)
    clock.now += 60
    assert breaker.allow()

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    clock.now += 59
    assert not breaker.available()
    clock.now += 1
    assert breaker.allow()


def test_neutral_probe_frees_the_slot_for_another_probe(breaker, clock):
    fail(breaker, 3)
    clock.now += 60
    assert breaker.allow()

    breaker.record_neutral()

    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()


def test_threshold_of_one_opens_on_the_first_failure(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)

    fail(breaker, 1)

    assert not breaker.available()


def test_threshold_must_be_positive():
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(0, 10)
