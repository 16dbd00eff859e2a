"""Bounded exponential back-off."""

import random

import pytest

from config.settings import ExportSettings
from dicom.export import next_delay, retry_delay


def test_doubles_from_initial_up_to_the_maximum() -> None:
    delays = [next_delay(attempt, 5.0, 60.0) for attempt in range(1, 8)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0, 60.0]


def test_stays_bounded_for_any_attempt() -> None:
    assert next_delay(10_000, 1.0, 900.0) == 900.0


def test_jitter_only_shortens_and_is_reproducible_with_a_seed() -> None:
    first = [next_delay(3, 5.0, 60.0, jitter=0.5, rng=random.Random(7)) for _ in range(3)]
    again = [next_delay(3, 5.0, 60.0, jitter=0.5, rng=random.Random(7)) for _ in range(3)]
    assert first == again
    rng = random.Random(1)
    delays = [next_delay(3, 5.0, 60.0, jitter=0.5, rng=rng) for _ in range(200)]
    assert all(10.0 <= delay <= 20.0 for delay in delays)
    assert len(set(delays)) > 100


@pytest.mark.parametrize(
    ("attempt", "initial", "maximum", "jitter"),
    [(0, 1.0, 2.0, 0.0), (1, 0.0, 2.0, 0.0), (1, 3.0, 2.0, 0.0), (1, 1.0, 2.0, 1.5)],
)
def test_nonsense_is_refused(attempt: int, initial: float, maximum: float, jitter: float) -> None:
    with pytest.raises(ValueError):
        next_delay(attempt, initial, maximum, jitter=jitter)


def test_settings_give_up_after_max_attempts() -> None:
    settings = ExportSettings(max_attempts=3, initial_backoff_s=2.0, max_backoff_s=5.0)
    assert [retry_delay(settings, attempts) for attempts in (1, 2, 3, 4)] == [2.0, 4.0, None, None]
